"""Road network rules: import (atomic), the in-memory index, street search, geocoding."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy.orm import Session

from smartcity.config import get_settings
from smartcity.core.db import Database
from smartcity.core.events import publish_after_commit
from smartcity.core.i18n import N_
from smartcity.places.service import places as places_service
from smartcity.roads import repository
from smartcity.roads.addresses import parse_address, street_key
from smartcity.roads.download import cached_city_file
from smartcity.roads.errors import AddressNotFound, NoRoadNetwork, QueryTooShort, RoadImportFailed
from smartcity.roads.index import NetworkIndex, segment_lines
from smartcity.roads.models import RoadNetwork, RoadSegment, Street
from smartcity.roads.schemas import (
    GeocodeMatch,
    GeocodeResult,
    NetworkInfo,
    ReverseGeocodeResult,
    StreetHit,
    StreetPage,
    WardRef,
)
from smartcity.roads.synthetic import generate_city
from smartcity.routing_engine.artefact import load_graph, save_graph, sha256_file
from smartcity.routing_engine.build import GraphBuildError, build_from_file
from smartcity.routing_engine.graph import (
    CAR,
    MOTORBIKE,
    ROAD_CLASSES,
    SEGMENT_BRIDGE,
    SEGMENT_ONEWAY,
    SEGMENT_TUNNEL,
    RoadGraph,
)
from smartcity.routing_engine.osm import OsmDecodeError

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

#: How far from a point we look for its street, in metres.
REVERSE_RADIUS_M = 250.0
#: An unnamed alley is reported by the nearest named street within this distance.
NAMED_STREET_RADIUS_M = 120.0


@dataclass
class ImportReport:
    version: str
    source: str
    sha256: str
    synthetic: bool
    nodes: int
    arcs: int
    segments: int
    streets: int
    km: float
    restrictions: int
    segments_without_ward: int
    seconds: dict[str, float] = field(default_factory=dict)
    build_summary: str = ""


#: The real 2018 HCMC extract in the shared data folder (see shared/data/SOURCES.md).
HCMC_EXTRACT_NAME = "hcmc_osm_2018-01-01.osm.pbf"


def networks_dir() -> Path:
    return get_settings().var_dir / "networks"


def _download_cache() -> Path:
    return get_settings().var_dir / "cache" / "osm"


class RoadService:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: NetworkIndex | None = None

    # --- import ---------------------------------------------------------------------

    def import_osm(
        self,
        database: Database,
        path: Path,
        *,
        synthetic: bool = False,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Decode, build and store a network; the old one serves until this one is complete.

        The artefact is written beside the current one and the database switch happens in
        one transaction; on any failure both are left as they were.
        """
        say = progress or (lambda _message: None)
        timings: dict[str, float] = {}
        started = time.perf_counter()
        if not path.is_file():
            raise RoadImportFailed(N_("Không tìm thấy tệp {path}."), path=str(path))
        say("checksum")
        sha256 = sha256_file(path)
        say("decode + build")
        try:
            result = build_from_file(path)
        except (OsmDecodeError, GraphBuildError) as exc:
            raise RoadImportFailed(
                N_("Tệp OSM không dùng được: {reason}"), reason=str(exc)
            ) from exc
        graph = result.graph
        timings["decode"] = round(result.decode_seconds, 2)
        timings["build"] = round(result.build_seconds, 2)
        if graph.segment_count == 0:
            raise RoadImportFailed(N_("Tệp OSM không có con đường nào cho ô tô hay xe máy."))
        version = f"{datetime.now(UTC):%Y%m%d%H%M%S%f}-{sha256[:8]}"
        target = networks_dir() / version
        say("artefact")
        mark = time.perf_counter()
        save_graph(
            graph,
            target,
            source_path=path,
            source_sha256=sha256,
            extra_manifest={"network_version": version, "synthetic": synthetic},
        )
        timings["artefact"] = round(time.perf_counter() - mark, 2)
        try:
            say("database")
            mark = time.perf_counter()
            with database.session() as session:
                report = self._store(session, graph, version, path, sha256, synthetic, target)
            timings["database"] = round(time.perf_counter() - mark, 2)
        except BaseException:
            _remove_artefact(target)
            raise
        self._remove_stale_artefacts(keep=target)
        with self._lock:
            self._index = None
        report.seconds = {**timings, "total": round(time.perf_counter() - started, 2)}
        report.build_summary = result.stats.summary()
        return report

    def _store(
        self,
        session: Session,
        graph: RoadGraph,
        version: str,
        path: Path,
        sha256: str,
        synthetic: bool,
        artefact_dir: Path,
    ) -> ImportReport:
        lines = segment_lines(graph.segment_coords[:, 0], graph.segment_coords[:, 1], graph)
        middles = shapely.line_interpolate_point(lines, 0.5, normalized=True)
        mid_lon = shapely.get_x(middles)
        mid_lat = shapely.get_y(middles)
        wards = places_service.ward_codes_at(session, mid_lon, mid_lat)
        access = np.zeros(graph.segment_count, dtype=np.uint8)
        np.bitwise_or.at(access, graph.arc_segment, graph.arc_access)
        maxspeed = np.zeros(graph.segment_count, dtype=np.float32)
        np.maximum.at(maxspeed, graph.arc_segment, graph.arc_maxspeed_kmh)
        stats = {
            "nodes": graph.node_count,
            "arcs": graph.arc_count,
            "segments": graph.segment_count,
            "km": round(float(graph.segment_length_m.sum()) / 1000, 1),
            "restrictions": graph.restriction_count,
        }
        network = repository.add_network(
            session,
            RoadNetwork(
                version=version,
                source_name=path.name,
                source_sha256=sha256,
                synthetic=synthetic,
                artefact_dir=str(artefact_dir.resolve()),
                active=False,
                stats=stats,
            ),
        )
        segment_rows: list[dict[str, Any]] = []
        for idx in range(graph.segment_count):
            flags = int(graph.segment_flags[idx])
            coords = graph.segment_geometry(idx)
            segment_rows.append(
                {
                    "network_id": network.id,
                    "idx": idx,
                    "osm_way_id": int(graph.segment_osm_way_id[idx]),
                    "name": graph.segment_name[idx],
                    "ref": graph.segment_ref[idx],
                    "road_class": ROAD_CLASSES[int(graph.segment_road_class[idx])],
                    "length_m": round(float(graph.segment_length_m[idx]), 1),
                    "maxspeed_kmh": float(maxspeed[idx]),
                    "lanes": int(graph.segment_lanes[idx]),
                    "oneway": bool(flags & SEGMENT_ONEWAY),
                    "bridge": bool(flags & SEGMENT_BRIDGE),
                    "tunnel": bool(flags & SEGMENT_TUNNEL),
                    "car": bool(access[idx] & CAR),
                    "motorbike": bool(access[idx] & MOTORBIKE),
                    "ward_code": wards[idx],
                    "mid_lon": round(float(mid_lon[idx]), 7),
                    "mid_lat": round(float(mid_lat[idx]), 7),
                    "coordinates": np.round(coords, 7).tolist(),
                }
            )
        repository.insert_rows(session, RoadSegment, segment_rows)
        street_rows = _street_rows(network.id, graph, wards, mid_lon, mid_lat)
        repository.insert_rows(session, Street, street_rows)
        repository.activate(session, network.id)
        publish_after_commit(session, "roads.network_changed", network_version=version)
        repository.delete_networks(
            session, [n.id for n in repository.other_networks(session, network.id)]
        )
        return ImportReport(
            version=version,
            source=path.name,
            sha256=sha256,
            synthetic=synthetic,
            nodes=graph.node_count,
            arcs=graph.arc_count,
            segments=graph.segment_count,
            streets=len(street_rows),
            km=stats["km"],
            restrictions=graph.restriction_count,
            segments_without_ward=sum(1 for ward in wards if ward is None),
        )

    def _remove_stale_artefacts(self, keep: Path) -> None:
        """Remove older networks' artefacts (each a link to a hidden versioned folder)."""
        kept = {keep.name, keep.resolve().name}
        for entry in networks_dir().iterdir():
            if entry.name not in kept:
                _remove_artefact(entry)

    def demo_source(self, explicit: Path | None = None) -> tuple[Path, bool]:
        """The OSM file the demo should run on, and whether it is synthetic: an explicit
        file, SMARTCITY_OSM_FILE, a downloaded extract, the real HCMC file in the data dir,
        else a generated city."""
        settings = get_settings()
        for chosen in (explicit, settings.osm_file, cached_city_file(_download_cache())):
            if chosen is not None:
                return chosen, False
        if settings.data_dir is not None:
            real = settings.data_dir / "roads" / HCMC_EXTRACT_NAME
            if real.is_file():
                return real, False
        synthetic = settings.var_dir / "cache" / "synthetic-city.osm.pbf"
        if not synthetic.is_file():
            synthetic.parent.mkdir(parents=True, exist_ok=True)
            generate_city("city", 1, synthetic)
        return synthetic, True

    def ensure_network(
        self, database: Database, explicit: Path | None = None, progress: Progress | None = None
    ) -> ImportReport | None:
        """Import a network unless one is active (an explicit file always replaces it)."""
        with database.session() as session:
            active = repository.active_network(session)
        source, synthetic = self.demo_source(explicit)
        if active is not None and (explicit is None or active.source_sha256 == sha256_file(source)):
            return None
        return self.import_osm(database, source, synthetic=synthetic, progress=progress)

    # --- the active network ---------------------------------------------------------

    def info(self, session: Session) -> NetworkInfo:
        network = repository.active_network(session)
        if network is None:
            raise NoRoadNetwork(N_("Chưa nhập mạng lưới đường; hãy chạy smartcity import osm."))
        info = NetworkInfo.model_validate(network)
        if network.synthetic:
            info.attribution = "Synthetic city generated by the platform (no OpenStreetMap data)"
        return info

    def index(self, session: Session) -> NetworkIndex:
        """The active network in memory (loaded once per network version)."""
        version = repository.active_version(session)  # one cheap scalar query per call
        with self._lock:
            if self._index is not None and version is not None and self._index.version == version:
                return self._index
        network = repository.active_network(session)
        if network is None:
            raise NoRoadNetwork(N_("Chưa nhập mạng lưới đường; hãy chạy smartcity import osm."))
        graph = load_graph(Path(network.artefact_dir))
        index = NetworkIndex.build(network.version, graph)
        with self._lock:
            self._index = index
        return index

    def synthetic_notice(self, session: Session) -> str | None:
        """The banner shown while the active network is the generated demo city."""
        network = repository.active_network(session)
        if network is not None and network.synthetic:
            return N_(
                "Bản đồ đường đang dùng là một thành phố tổng hợp (dữ liệu giả lập cho bản demo), không phải đường phố thật của TP.HCM."
            )
        return None

    def active_version(self, session: Session) -> str | None:
        return repository.active_version(session)

    # --- search and geocoding -------------------------------------------------------

    def search_streets(
        self, session: Session, *, query: str, ward_code: int | None = None, limit: int = 20
    ) -> StreetPage:
        key = street_key(query)
        if len(key) < 2:
            raise QueryTooShort(N_("Hãy nhập ít nhất 2 chữ cái của tên đường."))
        network = repository.active_network(session)
        if network is None:
            raise NoRoadNetwork(N_("Chưa nhập mạng lưới đường; hãy chạy smartcity import osm."))
        streets = repository.search_streets(
            session, network_id=network.id, key=key, ward_code=ward_code, limit=limit
        )
        names = places_service.ward_names(session, {s.ward_code for s in streets if s.ward_code})
        return StreetPage(items=[_street_hit(s, names) for s in streets], query=query)

    def geocode(self, session: Session, *, query: str) -> GeocodeResult:
        parsed = parse_address(query)
        if not parsed.street or len(street_key(parsed.street)) < 2:
            raise QueryTooShort(
                N_("Hãy nhập địa chỉ có tên đường, ví dụ “12 Nguyễn Huệ, Phường Sài Gòn”.")
            )
        network = repository.active_network(session)
        if network is None:
            raise NoRoadNetwork(N_("Chưa nhập mạng lưới đường; hãy chạy smartcity import osm."))
        ward = None
        unmatched: list[str] = []
        for part in parsed.area_parts:
            found = places_service.find_ward(session, part) if ward is None else None
            if found is not None:
                ward = found
            else:
                unmatched.append(part)
        key = street_key(parsed.street)
        candidates = list(repository.streets_with_key(session, network_id=network.id, key=key))
        exact = bool(candidates)
        if not candidates:
            candidates = list(
                repository.search_streets(
                    session, network_id=network.id, key=key, ward_code=None, limit=20
                )
            )
        if not candidates:
            raise AddressNotFound(
                N_("Không tìm thấy đường “{street}” trong bản đồ."), street=parsed.street
            )
        notes: list[str] = []
        confidence = 0.9 if exact else 0.6
        in_ward = [s for s in candidates if ward is not None and s.ward_code == ward.code]
        if ward is not None and in_ward:
            chosen = max(in_ward, key=lambda s: s.length_m)
        elif ward is not None and ward.centroid is not None:
            centre_lon, centre_lat = ward.centroid
            chosen = min(candidates, key=lambda s: _distance_deg(s, centre_lon, centre_lat))
            confidence -= 0.3
            notes.append("street_not_in_ward")
        else:
            chosen = max(candidates, key=lambda s: s.length_m)
            wards_crossed = {s.ward_code for s in candidates}
            if len(wards_crossed) > 1:
                confidence -= 0.2
                notes.append("street_in_several_wards")
        if parsed.house_number:
            # OSM has few house numbers here: the point is on the street, not at the door.
            confidence -= 0.1
            notes.append("house_number_not_located")
        names = places_service.ward_names(
            session, {chosen.ward_code} if chosen.ward_code else set()
        )
        chosen_ward = (
            WardRef(code=chosen.ward_code, name=names[chosen.ward_code])
            if chosen.ward_code and chosen.ward_code in names
            else None
        )
        return GeocodeResult(
            query=query,
            lon=chosen.lon,
            lat=chosen.lat,
            confidence=round(max(confidence, 0.05), 2),
            matched=GeocodeMatch(
                house_number=parsed.house_number, street=chosen.name, ward=chosen_ward
            ),
            unmatched=unmatched,
            notes=notes,
        )

    def reverse_geocode(self, session: Session, *, lon: float, lat: float) -> ReverseGeocodeResult:
        index = self.index(session)
        nearest = index.nearest_segments(lon, lat, max_distance_m=REVERSE_RADIUS_M)
        ward_code = places_service.ward_code_at(session, lon, lat)
        names = places_service.ward_names(session, {ward_code} if ward_code else set())
        ward = WardRef(code=ward_code, name=names[ward_code]) if ward_code in names else None
        if not nearest:
            return ReverseGeocodeResult(
                lon=lon,
                lat=lat,
                street=None,
                road_class=None,
                distance_m=None,
                ward=ward,
                segment_id=None,
            )
        segment, distance = nearest[0]
        graph = index.graph
        name = graph.segment_name[segment]
        if not name:
            named = index.nearest_segments(
                lon, lat, max_distance_m=NAMED_STREET_RADIUS_M, named_only=True
            )
            if named:
                name = graph.segment_name[named[0][0]]
        return ReverseGeocodeResult(
            lon=lon,
            lat=lat,
            street=name or None,
            road_class=ROAD_CLASSES[int(graph.segment_road_class[segment])],
            distance_m=round(distance, 1),
            ward=ward,
            segment_id=segment,
        )


def _remove_artefact(path: Path) -> None:
    """Delete an artefact: the link and the folder it points to (or a plain folder)."""
    if path.is_symlink():
        target = path.resolve()
        path.unlink(missing_ok=True)
        shutil.rmtree(target, ignore_errors=True)
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def _street_rows(
    network_id: int,
    graph: RoadGraph,
    wards: list[int | None],
    mid_lon: np.ndarray,
    mid_lat: np.ndarray,
) -> list[dict[str, Any]]:
    """One row per (street name, ward): length, extent and a point on its longest piece."""
    groups: dict[tuple[str, int | None], list[int]] = {}
    for idx, name in enumerate(graph.segment_name):
        if name:
            groups.setdefault((name, wards[idx]), []).append(idx)
    rows = []
    offsets = graph.segment_geometry_offsets
    for (name, ward), members in groups.items():
        lengths = graph.segment_length_m[members]
        longest = members[int(np.argmax(lengths))]
        coords = np.concatenate(
            [graph.segment_coords[offsets[i] : offsets[i + 1]] for i in members]
        )
        classes = np.bincount(graph.segment_road_class[members], weights=lengths)
        rows.append(
            {
                "network_id": network_id,
                "name": name,
                "search_key": street_key(name),
                "ward_code": ward,
                "road_class": ROAD_CLASSES[int(np.argmax(classes))],
                "segment_count": len(members),
                "length_m": round(float(lengths.sum()), 1),
                "lon": round(float(mid_lon[longest]), 7),
                "lat": round(float(mid_lat[longest]), 7),
                "min_lon": float(coords[:, 0].min()),
                "min_lat": float(coords[:, 1].min()),
                "max_lon": float(coords[:, 0].max()),
                "max_lat": float(coords[:, 1].max()),
            }
        )
    return rows


def _street_hit(street: Street, ward_names: dict[int, str]) -> StreetHit:
    ward = (
        WardRef(code=street.ward_code, name=ward_names[street.ward_code])
        if street.ward_code in ward_names and street.ward_code is not None
        else None
    )
    return StreetHit(
        name=street.name,
        ward=ward,
        road_class=street.road_class,
        segment_count=street.segment_count,
        length_m=street.length_m,
        lon=street.lon,
        lat=street.lat,
        bbox=[street.min_lon, street.min_lat, street.max_lon, street.max_lat],
    )


def _distance_deg(street: Street, lon: float, lat: float) -> float:
    return float((street.lon - lon) ** 2 + (street.lat - lat) ** 2)


roads = RoadService()
