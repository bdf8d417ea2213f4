"""Rules of the places module: seeding, boundaries, search, locate, address conversion."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely import STRtree
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from smartcity.config import get_settings
from smartcity.core.i18n import N_, gettext
from smartcity.places import repository
from smartcity.places.boundaries import (
    WardMatcher,
    WardRef,
    boundary_record,
    match_features,
    read_feature_collection,
    simplified,
    to_geojson,
)
from smartcity.places.errors import (
    AddressNotRecognised,
    BoundariesMissing,
    BoundaryImportFailed,
    OutsideCity,
    WardNotFound,
)
from smartcity.places.models import LegacyWard, Ward
from smartcity.places.names import (
    COUNTRY_KEYS,
    UnitKind,
    UnitName,
    clean_name,
    name_key,
    parse_unit,
    province_alias,
    search_key,
    short_name,
)
from smartcity.places.schemas import (
    AddressConversion,
    AddressConversionRequest,
    LegacyWardMatch,
    NewWardCandidate,
    Predecessor,
    WardFeature,
    WardLocation,
    WardPage,
    WardProperties,
    WardSummary,
)

log = logging.getLogger(__name__)

HCMC_PROVINCE_CODE = 79
HCMC_NAME = "Thành phố Hồ Chí Minh"
#: Pre-2025 provinces merged into today's HCMC: old HCMC, Bình Dương, Bà Rịa–Vũng Tàu.
LEGACY_PROVINCE_CODES = (79, 74, 77)
#: Bump when the seeded columns or keys are computed differently, to force a re-seed.
REFERENCE_FORMAT = "1"
#: Boundary files looked for under ``settings.data_dir``; the first wins, the next fill gaps.
BUNDLED_BOUNDARY_FILES = (
    "admin/hcmc_wards_2025_osm.geojson",
    "admin/hcmc_wards_2025_simplified.geojson",
)
#: Old district names people still write that the pre-2025 catalogue no longer has.
DISTRICT_ALIASES = {
    "quan 2": "thanh pho thu duc",
    "quan 9": "thanh pho thu duc",
    "quan thu duc": "thanh pho thu duc",
    "huyen long dien": "huyen long dat",
    "huyen dat do": "huyen long dat",
}
#: Coordinates in the city-wide GeoJSON are rounded to 1e-6° (~10 cm): plenty for a map.
MAP_DECIMALS = 6
_GEOJSON_CACHE_ENTRIES = 16

DATASET_REFERENCE = "reference"
DATASET_BOUNDARIES = "boundaries"
DATASET_BUNDLED = "bundled-boundaries"


@dataclass
class BoundaryImportReport:
    source: str
    features: int = 0
    matched_features: int = 0
    wards_updated: int = 0
    skipped: int = 0
    unmatched: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _ShapeIndex:
    version: str
    codes: list[int]
    geometries: list[BaseGeometry]
    tree: STRtree


@dataclass
class _Attempt:
    """One input part and how it was tried, for the 422 answer."""

    text: str
    tried_as: str
    key: str
    candidates: list[str] = field(default_factory=list)


class PlacesService:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: _ShapeIndex | None = None
        self._geojson_version: str | None = None
        self._geojson: dict[float, bytes] = {}

    # --- reference data -------------------------------------------------------------

    def seed(self, session: Session) -> None:
        """Seeder: units from the package, then boundaries from the data dir if present."""
        self.load_reference_units(session)
        try:
            self.attach_bundled_boundaries(session, data_dir=get_settings().data_dir)
        except BoundaryImportFailed as exc:
            # A broken data file must not stop the platform from starting.
            log.warning("bundled ward boundaries not attached: %s", exc)

    def load_reference_units(self, session: Session, *, force: bool = False) -> bool:
        """Today's HCMC wards, the pre-2025 wards of the three merged provinces and the
        succession table, from ``vietnam-provinces``.  Returns False when already loaded."""
        import vietnam_provinces

        fingerprint = (
            f"vietnam-provinces {vietnam_provinces.__version__} "
            f"{vietnam_provinces.__data_version__} format {REFERENCE_FORMAT}"
        )
        if not force and repository.dataset_fingerprint(session, DATASET_REFERENCE) == fingerprint:
            return False
        ward_rows = _new_ward_rows()
        existing = repository.ward_codes(session)
        repository.insert_wards(session, [r for r in ward_rows if r["code"] not in existing])
        repository.update_wards(session, [r for r in ward_rows if r["code"] in existing])
        new_codes = {row["code"] for row in ward_rows}
        legacy_rows = _legacy_ward_rows()
        repository.replace_legacy_units(
            session, legacy_rows, _succession_rows({r["code"] for r in legacy_rows}, new_codes)
        )
        repository.set_dataset_fingerprint(session, DATASET_REFERENCE, fingerprint)
        log.info("places: seeded %d wards, %d legacy wards", len(ward_rows), len(legacy_rows))
        return True

    # --- boundaries -----------------------------------------------------------------

    def import_boundaries(
        self, session: Session, *, path: Path, source: str | None = None
    ) -> BoundaryImportReport:
        """Attach the polygons of a GeoJSON file to the wards it names (all or nothing)."""
        features = read_feature_collection(path)
        match = match_features(features, self.ward_matcher(session))
        if not match.boundaries:
            raise BoundaryImportFailed(
                N_("Không đối tượng nào trong {file} khớp với một phường/xã; chưa ghi gì."),
                file=path.name,
                extra={"unmatched": match.unmatched},
            )
        label = source or path.name
        self._write_boundaries(session, {code: (g, label) for code, g in match.boundaries.items()})
        return BoundaryImportReport(
            source=label,
            features=len(features),
            matched_features=match.matched_features,
            wards_updated=len(match.boundaries),
            skipped=match.skipped,
            unmatched=match.unmatched,
        )

    def attach_bundled_boundaries(
        self, session: Session, *, data_dir: Path | None, force: bool = False
    ) -> BoundaryImportReport | None:
        """Boundaries from ``<data_dir>/admin/`` (OSM first, the simplified file for the
        rest); skipped when these very files were attached before.  None when skipped."""
        if data_dir is None:
            return None
        paths = [data_dir / name for name in BUNDLED_BOUNDARY_FILES if (data_dir / name).is_file()]
        if not paths:
            return None
        digest = hashlib.sha256()
        for path in paths:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        fingerprint = digest.hexdigest()
        if not force and repository.dataset_fingerprint(session, DATASET_BUNDLED) == fingerprint:
            return None
        matcher = self.ward_matcher(session)
        report = BoundaryImportReport(source=", ".join(path.name for path in paths))
        chosen: dict[int, tuple[BaseGeometry, str]] = {}
        for path in paths:
            features = read_feature_collection(path)
            match = match_features(features, matcher)
            report.features += len(features)
            report.matched_features += match.matched_features
            report.skipped += match.skipped
            report.unmatched.extend(match.unmatched)
            for code, geometry in match.boundaries.items():
                chosen.setdefault(code, (geometry, path.name))
        self._write_boundaries(session, chosen)
        report.wards_updated = len(chosen)
        repository.set_dataset_fingerprint(session, DATASET_BUNDLED, fingerprint)
        log.info("places: attached %d ward boundaries from %s", len(chosen), report.source)
        return report

    def ward_matcher(self, session: Session) -> WardMatcher:
        return WardMatcher(WardRef(code, name) for code, name in repository.ward_names(session))

    def _write_boundaries(
        self, session: Session, boundaries: dict[int, tuple[BaseGeometry, str]]
    ) -> None:
        rows = [
            {**asdict(boundary_record(code, geometry)), "boundary_source": source[:200]}
            for code, (geometry, source) in sorted(boundaries.items())
        ]
        repository.update_wards(session, rows)
        # A new random version makes every process rebuild its locate index and map cache.
        repository.set_dataset_fingerprint(session, DATASET_BOUNDARIES, uuid.uuid4().hex)

    # --- reading --------------------------------------------------------------------

    def list_wards(
        self,
        session: Session,
        *,
        query: str | None = None,
        division_type: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> WardPage:
        key = parse_unit(query).key if query and query.strip() else None
        wards, total = repository.search_wards(
            session, key=key, division_type=division_type, limit=limit, offset=offset
        )
        if key and total == 0:
            # "p. ben thanh" expands to "phuong ben thanh"; try the literal words too.
            wards, total = repository.search_wards(
                session,
                key=search_key(query or ""),
                division_type=division_type,
                limit=limit,
                offset=offset,
            )
        return WardPage(
            items=[_summary(ward) for ward in wards], total=total, limit=limit, offset=offset
        )

    def get_feature(self, session: Session, *, code: int) -> WardFeature:
        ward = repository.get_ward(session, code)
        if ward is None:
            raise WardNotFound(N_("Không tìm thấy phường/xã có mã {code}."), code=code)
        summary = _summary(ward)
        predecessors = [
            Predecessor(
                code=legacy.code,
                name=legacy.name,
                district_name=legacy.district_name,
                province_name=legacy.province_name,
                partly=partly,
            )
            for legacy, partly in repository.predecessors(session, code)
        ]
        return WardFeature(
            id=ward.code,
            bbox=summary.bbox,
            geometry=json.loads(ward.boundary) if ward.boundary else None,
            properties=WardProperties(
                **summary.model_dump(),
                codename=ward.codename,
                boundary_source=ward.boundary_source,
                predecessors=predecessors,
            ),
        )

    def locate(self, session: Session, *, lon: float, lat: float) -> WardLocation:
        index = self._shape_index(session)
        if not index.codes:
            raise BoundariesMissing(
                N_("Chưa có ranh giới phường/xã; hãy nhập bằng lệnh smartcity import wards.")
            )
        hits = index.tree.query(Point(lon, lat), predicate="intersects")
        if len(hits) == 0:
            raise OutsideCity(
                N_("Không có phường/xã nào của thành phố chứa điểm ({lon}, {lat})."),
                lon=lon,
                lat=lat,
            )
        # Overlaps come from rings whose holes were not marked: the enclave is the smaller one.
        best = min(hits, key=lambda i: (index.geometries[i].area, index.codes[i]))
        ward = repository.get_ward_summary(session, index.codes[best])
        if ward is None:  # deleted since the index was built
            raise OutsideCity(
                N_("Không có phường/xã nào của thành phố chứa điểm ({lon}, {lat})."),
                lon=lon,
                lat=lat,
            )
        return WardLocation(lon=lon, lat=lat, ward=_summary(ward))

    def _shape_index(self, session: Session) -> _ShapeIndex:
        # Read the version before the rows: a concurrent import then only causes a rebuild.
        version = repository.dataset_fingerprint(session, DATASET_BOUNDARIES) or "none"
        with self._lock:
            if self._index is not None and self._index.version == version:
                return self._index
        rows = repository.ward_boundaries(session)
        geometries = [shapely.from_geojson(row.boundary) for row in rows]
        index = _ShapeIndex(
            version=version,
            codes=[row.code for row in rows],
            geometries=geometries,
            tree=STRtree(geometries),
        )
        with self._lock:
            self._index = index
        return index

    def boundaries_version(self, session: Session) -> str:
        return repository.dataset_fingerprint(session, DATASET_BOUNDARIES) or "none"

    def boundaries_in_bbox(
        self, session: Session, bbox: tuple[float, float, float, float]
    ) -> list[tuple[int, BaseGeometry]]:
        """(code, boundary) of the wards whose boundary meets ``bbox`` (for map tiles)."""
        index = self._shape_index(session)
        hits = index.tree.query(shapely.box(*bbox))
        return [(index.codes[i], index.geometries[i]) for i in sorted(hits.tolist())]

    def ward_codes_at(
        self, session: Session, lons: Sequence[float] | Any, lats: Sequence[float] | Any
    ) -> list[int | None]:
        """The ward containing each point (None outside every ward), for many points at once."""
        count = len(lons)
        result: list[int | None] = [None] * count
        index = self._shape_index(session)
        if not index.codes or count == 0:
            return result
        areas = shapely.area(index.geometries)
        best_area = [float("inf")] * count
        point_ids, geometry_ids = index.tree.query(
            shapely.points(lons, lats), predicate="intersects"
        )
        for point, geometry in zip(point_ids.tolist(), geometry_ids.tolist(), strict=True):
            # Overlaps come from unmarked holes: the smaller polygon is the enclave.
            if areas[geometry] < best_area[point]:
                best_area[point] = float(areas[geometry])
                result[point] = index.codes[geometry]
        return result

    def ward_code_at(self, session: Session, lon: float, lat: float) -> int | None:
        return self.ward_codes_at(session, [lon], [lat])[0]

    def ward_names(self, session: Session, codes: set[int]) -> dict[int, str]:
        """Names of the given wards (unknown codes are left out)."""
        if not codes:
            return {}
        return dict(repository.names_for(session, codes))

    def find_ward(self, session: Session, text: str) -> WardSummary | None:
        """The one ward a piece of an address names ("Phường Sài Gòn", "P. Sài Gòn"), if any."""
        unit = parse_unit(text)
        if not unit.key or (unit.kinds and UnitKind.ward not in unit.kinds):
            return None
        wards, _total = repository.search_wards(
            session, key=unit.key, division_type=None, limit=20, offset=0
        )
        exact = [w for w in wards if w.search_key == unit.key]
        if not exact and not unit.kinds:
            exact = [w for w in wards if search_key(w.short_name) == unit.short_key]
        if len(exact) > 1:
            # Accents decide between "Thanh An" and "Thạnh An".
            exact = [w for w in exact if name_key(short_name(w.name)) == unit.short_name_key]
        return _summary(exact[0]) if len(exact) == 1 else None

    def wards_geojson(self, session: Session, *, simplify_metres: float = 0) -> tuple[bytes, str]:
        """A FeatureCollection of every ward with a boundary (properties code, name,
        division_type), serialized once per (tolerance, boundary version).  Also an ETag."""
        version = repository.dataset_fingerprint(session, DATASET_BOUNDARIES) or "none"
        etag = f'"{version}-{simplify_metres:g}"'
        with self._lock:
            if self._geojson_version == version and simplify_metres in self._geojson:
                return self._geojson[simplify_metres], etag
        features = [
            {
                "type": "Feature",
                "id": row.code,
                "properties": {
                    "code": row.code,
                    "name": row.name,
                    "division_type": row.division_type,
                },
                "geometry": json.loads(
                    to_geojson(
                        simplified(shapely.from_geojson(row.boundary), simplify_metres),
                        decimals=MAP_DECIMALS,
                    )
                ),
            }
            for row in repository.ward_boundaries(session)
        ]
        body = json.dumps(
            {"type": "FeatureCollection", "features": features},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        with self._lock:
            if self._geojson_version != version:
                self._geojson_version, self._geojson = version, {}
            if len(self._geojson) >= _GEOJSON_CACHE_ENTRIES:
                self._geojson.clear()
            self._geojson[simplify_metres] = body
        return body, etag

    # --- old → new addresses --------------------------------------------------------

    def convert_address(
        self, session: Session, *, request: AddressConversionRequest, language: str
    ) -> AddressConversion:
        attempts: list[_Attempt] = []
        if request.address:
            input_text = clean_name(request.address)
            street, ward_unit, district_unit, province_unit, legacy = self._read_address(
                session, input_text, attempts
            )
        else:
            ward_unit = parse_unit(request.ward or "")
            district_unit = parse_unit(request.district) if request.district else None
            province_unit = parse_unit(request.province) if request.province else None
            street = clean_name(request.street) if request.street else None
            input_text = ", ".join(
                clean_name(part)
                for part in (request.street, request.ward, request.district, request.province)
                if part
            )
            legacy = self._resolve(session, ward_unit, district_unit, province_unit, attempts)
        if legacy is None:
            raise AddressNotRecognised(
                N_("Không xác định được phường/xã cũ trong địa chỉ “{address}”."),
                address=input_text,
                extra={"tried": [asdict(attempt) for attempt in attempts]},
            )
        successors = repository.successors(session, legacy.code)
        if not successors:
            raise AddressNotRecognised(
                N_("Chưa có dữ liệu chuyển đổi cho {ward}, {district}."),
                ward=legacy.name,
                district=legacy.district_name,
            )
        candidates = [
            NewWardCandidate(
                code=ward.code,
                name=ward.name,
                division_type=ward.division_type,
                partly=partly,
                new_address=", ".join(part for part in (street, ward.name, HCMC_NAME) if part),
            )
            for ward, partly in successors
        ]
        partly = any(candidate.partly for candidate in candidates)
        note: str | None = None
        if partly and len(candidates) > 1:
            note = gettext(
                N_(
                    "Phường/xã cũ đã được chia cho nhiều đơn vị mới; số nhà và tên đường quyết định đơn vị nào."
                ),
                language,
            )
        elif partly:
            note = gettext(
                N_("Chỉ một phần phường/xã cũ thuộc đơn vị mới này; hãy kiểm tra theo tên đường."),
                language,
            )
        return AddressConversion(
            input=input_text,
            street=street,
            legacy_ward=LegacyWardMatch(
                code=legacy.code,
                name=legacy.name,
                district_code=legacy.district_code,
                district_name=legacy.district_name,
                province_code=legacy.province_code,
                province_name=legacy.province_name,
                matched_ward_text=ward_unit.text if ward_unit else "",
                matched_district_text=district_unit.text if district_unit else None,
                matched_province_text=province_unit.text if province_unit else None,
            ),
            candidates=candidates,
            partly=partly,
            new_address=candidates[0].new_address if len(candidates) == 1 else None,
            note=note,
        )

    def _read_address(
        self, session: Session, address: str, attempts: list[_Attempt]
    ) -> tuple[str | None, UnitName | None, UnitName | None, UnitName | None, LegacyWard | None]:
        """Split "<street>, <ward>, <district>, <province>" and find the old ward, reading
        the parts from the right (the order Vietnamese addresses are written in)."""
        units = [parse_unit(part) for part in address.split(",") if part.strip()]
        end = len(units)
        while end > 1 and units[end - 1].key in COUNTRY_KEYS:
            end -= 1
        province_unit: UnitName | None = None
        provinces: tuple[int, ...] = LEGACY_PROVINCE_CODES
        if end > 1 and (code := province_alias(units[end - 1])) is not None:
            province_unit, provinces, end = units[end - 1], (code,), end - 1
        # The right-most part that names an old district, with a ward part before it.
        for position in range(end - 1, 0, -1):
            districts = self._districts(session, units[position], provinces, attempts)
            if len(districts) == 1:
                ward_position = position - 1
                legacy = self._ward_in(
                    session, units[ward_position], districts[0][0], provinces, attempts
                )
                street = ", ".join(u.text for u in units[:ward_position]) or None
                return street, units[ward_position], units[position], province_unit, legacy
        # No district: the right-most part that alone names exactly one old ward.
        for position in range(end - 1, -1, -1):
            legacy = self._ward_in(session, units[position], None, provinces, attempts)
            if legacy is not None:
                street = ", ".join(u.text for u in units[:position]) or None
                return street, units[position], None, province_unit, legacy
        return None, None, None, province_unit, None

    def _resolve(
        self,
        session: Session,
        ward: UnitName,
        district: UnitName | None,
        province: UnitName | None,
        attempts: list[_Attempt],
    ) -> LegacyWard | None:
        provinces: tuple[int, ...] = LEGACY_PROVINCE_CODES
        if province is not None:
            code = province_alias(province)
            if code is None:
                attempts.append(_Attempt(province.text, UnitKind.province, province.key))
                return None
            provinces = (code,)
        district_code: int | None = None
        if district is not None:
            districts = self._districts(session, district, provinces, attempts)
            if len(districts) != 1:
                return None
            district_code = districts[0][0]
        return self._ward_in(session, ward, district_code, provinces, attempts)

    def _districts(
        self,
        session: Session,
        unit: UnitName,
        provinces: Sequence[int],
        attempts: list[_Attempt],
    ) -> list[tuple[int, str, int]]:
        if not unit.may_be(UnitKind.district) or (not unit.kinds and unit.short_key.isdigit()):
            return []
        key = DISTRICT_ALIASES.get(unit.key, unit.key)
        rows = repository.find_legacy_districts(
            session, key=key, short=False, province_codes=provinces
        )
        if not rows and not unit.short_key.isdigit():
            rows = repository.find_legacy_districts(
                session, key=unit.short_key, short=True, province_codes=provinces
            )
        found = [(row[0], row[1], row[2]) for row in rows]
        if len(found) != 1:
            attempts.append(
                _Attempt(unit.text, UnitKind.district, key, [name for _, name, _ in found])
            )
        return found

    def _ward_in(
        self,
        session: Session,
        unit: UnitName,
        district_code: int | None,
        provinces: Sequence[int],
        attempts: list[_Attempt],
    ) -> LegacyWard | None:
        if not unit.may_be(UnitKind.ward):
            attempts.append(_Attempt(unit.text, UnitKind.ward, unit.key))
            return None
        wards: list[LegacyWard] = []
        if unit.kinds:
            wards = repository.find_legacy_wards(
                session,
                key=unit.key,
                short=False,
                district_code=district_code,
                province_codes=provinces,
            )
        # A bare number ("12") is only a ward ("Phường 12") when a prefix says so.
        if not wards and (unit.kinds or not unit.short_key.isdigit()):
            wards = repository.find_legacy_wards(
                session,
                key=unit.short_key,
                short=True,
                district_code=district_code,
                province_codes=provinces,
            )
        if len(wards) > 1:
            # Accents decide between "Thanh An" and "Thạnh An".
            exact = [w for w in wards if name_key(short_name(w.name)) == unit.short_name_key]
            wards = exact if len(exact) == 1 else wards
        if len(wards) == 1:
            return wards[0]
        attempts.append(
            _Attempt(
                unit.text,
                UnitKind.ward,
                unit.key,
                [f"{w.name}, {w.district_name}, {w.province_name}" for w in wards],
            )
        )
        return None


def _summary(ward: Ward) -> WardSummary:
    has_boundary = ward.min_lon is not None
    return WardSummary(
        code=ward.code,
        name=ward.name,
        short_name=ward.short_name,
        division_type=ward.division_type,
        province_code=ward.province_code,
        has_boundary=has_boundary,
        bbox=[ward.min_lon, ward.min_lat, ward.max_lon, ward.max_lat] if has_boundary else None,
        centroid=[ward.centroid_lon, ward.centroid_lat] if ward.centroid_lon is not None else None,
        area_km2=ward.area_km2,
    )


def _new_ward_rows() -> list[dict[str, Any]]:
    import vietnam_provinces

    rows = []
    for unit in vietnam_provinces.Ward.iter_all():
        if int(unit.province_code) != HCMC_PROVINCE_CODE:
            continue
        name = clean_name(unit.name)
        rows.append(
            {
                "code": int(unit.code),
                "name": name,
                "short_name": short_name(name),
                "codename": unit.codename,
                "division_type": str(unit.division_type.value),
                "province_code": HCMC_PROVINCE_CODE,
                "search_key": search_key(name),
            }
        )
    return rows


def _legacy_ward_rows() -> list[dict[str, Any]]:
    from vietnam_provinces import legacy

    districts = {
        int(d.code): d
        for d in legacy.District.iter_all()
        if int(d.province_code) in LEGACY_PROVINCE_CODES
    }
    provinces = {int(p.code): p for p in legacy.Province.iter_all()}
    rows = []
    for unit in legacy.Ward.iter_all():
        district = districts.get(int(unit.district_code))
        if district is None:
            continue
        name, district_name = clean_name(unit.name), clean_name(district.name)
        ward_key, district_key = parse_unit(name), parse_unit(district_name)
        province_code = int(district.province_code)
        rows.append(
            {
                "code": int(unit.code),
                "name": name,
                "division_type": str(unit.division_type.value),
                "search_key": ward_key.key,
                "short_key": ward_key.short_key,
                "district_code": int(district.code),
                "district_name": district_name,
                "district_key": district_key.key,
                "district_short_key": district_key.short_key,
                "province_code": province_code,
                "province_name": clean_name(provinces[province_code].name),
            }
        )
    return rows


def _succession_rows(legacy_codes: set[int], new_codes: set[int]) -> list[dict[str, Any]]:
    from vietnam_provinces._ward_conversion_2025 import OLD_TO_NEW

    rows = []
    for legacy_code in sorted(legacy_codes):
        entry = OLD_TO_NEW.get(legacy_code)
        if entry is None:
            continue
        for new_ward in entry.new_wards:
            if new_ward.code in new_codes:
                rows.append(
                    {
                        "legacy_code": legacy_code,
                        "new_code": new_ward.code,
                        "partly": bool(entry.old_ward.is_partly_merged),
                    }
                )
    return rows


places = PlacesService()
