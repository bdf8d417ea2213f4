"""Flood rules: SensorThings entities and ingest with validation, fusion of sensors and
reports into a state per flood point, projection onto road segments, alerts."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from smartcity.config import get_settings
from smartcity.core.clock import utcnow
from smartcity.core.events import publish_after_commit
from smartcity.core.i18n import N_
from smartcity.core.schemas import MAX_ID
from smartcity.core.storage import IMAGE_TYPES, get_storage
from smartcity.flood import repository as repo
from smartcity.flood.errors import (
    BadEntity,
    EntityNotFound,
    FarFromStreet,
    HotspotImportFailed,
    ImpossibleValue,
    UnknownDatastream,
)
from smartcity.flood.models import (
    Alert,
    Datastream,
    DatastreamKind,
    DepthSource,
    FloodPoint,
    FloodReport,
    Location,
    ObservedProperty,
    PointState,
    Sensor,
    Subscription,
    Thing,
)
from smartcity.flood.schemas import ForecastOut, ForecastRow, SeriesOut, TideOut, TidePoint
from smartcity.roads.errors import NoRoadNetwork
from smartcity.roads.index import NetworkIndex
from smartcity.roads.service import roads as road_service

#: Physically possible ranges per kind (outside = a broken sensor or a typo, never stored).
#: 3 m of water on a street is beyond any HCMC record; 300 mm in one reading is near the
#: world's 1-hour record; Phú An has never left −3…+3 m.
PHYSICAL_LIMITS: dict[str, tuple[float, float]] = {
    DatastreamKind.water_depth: (0.0, 300.0),
    DatastreamKind.rainfall: (0.0, 300.0),
    DatastreamKind.tide_level: (-5.0, 5.0),
    DatastreamKind.other: (-1e9, 1e9),
}
UNIT_KINDS = {"cm": DatastreamKind.water_depth, "mm": DatastreamKind.rainfall}
#: Sensor clocks may run a little ahead; more than this in the future is refused.
CLOCK_SKEW = timedelta(minutes=5)
#: Depth words of the report form and the reports module (domain-vn.md §6 UI bands).
DEPTH_WORDS = {"ankle": 10.0, "shin": 25.0, "knee": 40.0, "thigh": 60.0, "waist": 90.0}
SOURCE_WEIGHT = {DepthSource.sensor: 0.95, DepthSource.officer: 0.9, DepthSource.camera: 0.85}
REPORT_RADIUS_M = 250.0
NETWORK_CHANGED = "flood.segments_changed"
POINTS_CHANGED = "flood.points_changed"


@dataclass(frozen=True)
class ImportReport:
    imported: int
    updated: int
    flagged: int
    without_segments: int


@dataclass(frozen=True)
class Fused:
    depth_cm: float
    confidence: float
    source: DepthSource
    observed_at: datetime | None


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = (lon2 - lon1) * 111_320.0 * math.cos(math.radians((lat1 + lat2) / 2))
    dy = (lat2 - lat1) * 110_574.0
    return math.hypot(dx, dy)


def datastream_kind(unit: Mapping[str, Any], properties: Mapping[str, Any]) -> DatastreamKind:
    declared = properties.get("kind")
    if isinstance(declared, str) and declared in DatastreamKind.__members__:
        return DatastreamKind(declared)
    symbol = str(unit.get("symbol", "")).strip()
    if symbol == "m":
        return DatastreamKind.tide_level
    return UNIT_KINDS.get(symbol, DatastreamKind.other)


def _ref_id(value: Any, what: str) -> int | None:
    if isinstance(value, dict) and "@iot.id" in value:
        try:
            return int(value["@iot.id"])
        except (TypeError, ValueError):
            raise BadEntity(N_("{what}: @iot.id phải là số."), what=what) from None
    return None


def _text(data: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadEntity(N_("Thiếu trường {field} (chuỗi)."), field=key)
    return value[:2000]


def parse_time(value: Any, field: str = "phenomenonTime") -> datetime:
    """ISO 8601 with an offset (an interval ``a/b`` uses its end)."""
    if not isinstance(value, str):
        raise BadEntity(N_("{field} phải là thời điểm ISO 8601."), field=field)
    text = value.rsplit("/", 1)[-1]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadEntity(
            N_("{field} không phải thời điểm ISO 8601: {value}"), field=field, value=value[:40]
        ) from None
    if moment.tzinfo is None:
        raise BadEntity(N_("{field} cần múi giờ (ví dụ Z hoặc +07:00)."), field=field)
    return moment


class FloodService:
    # ---------------------------------------------------------------- SensorThings

    def get_entity[M](self, session: Session, model: type[M], entity_id: int) -> M:
        # Ids in URLs like Things(99999999999999999999) are unbounded: no such row, not an overflow.
        entity = session.get(model, entity_id) if 0 < entity_id <= MAX_ID else None
        if entity is None:
            raise EntityNotFound(
                N_("Không có {entity}({id})."), entity=model.__name__, id=entity_id
            )
        return entity

    def _location(self, data: Mapping[str, Any], thing_id: int | None) -> Location:
        geometry = data.get("location")
        coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if geometry is not None and geometry.get("type") == "Feature":
            inner = geometry.get("geometry")
            coordinates = inner.get("coordinates") if isinstance(inner, dict) else None
        if (
            not isinstance(coordinates, list)
            or len(coordinates) < 2
            or not all(isinstance(c, int | float) for c in coordinates[:2])
            or not (-180 <= coordinates[0] <= 180 and -90 <= coordinates[1] <= 90)
        ):
            raise BadEntity(N_("Location cần location là một GeoJSON Point (lon, lat)."))
        return Location(
            name=_text(data, "name"),
            description=_text(data, "description", required=False),
            encoding_type=str(data.get("encodingType") or "application/geo+json")[:80],
            lon=float(coordinates[0]),
            lat=float(coordinates[1]),
            thing_id=thing_id,
        )

    def create_thing(self, session: Session, data: Mapping[str, Any]) -> Thing:
        properties = data.get("properties") or {}
        if not isinstance(properties, dict):
            raise BadEntity(N_("properties phải là một đối tượng JSON."))
        point_id = properties.get("flood_point_id")
        if point_id is not None:
            self.get_entity(session, FloodPoint, int(point_id))
        thing = Thing(
            name=_text(data, "name"),
            description=_text(data, "description", required=False),
            properties=properties,
            point_id=int(point_id) if point_id is not None else None,
        )
        repo.add(session, thing)
        for item in data.get("Locations") or []:
            existing = _ref_id(item, "Locations")
            if existing is not None:
                self.get_entity(session, Location, existing).thing_id = thing.id
            else:
                repo.add(session, self._location(item, thing.id))
        return thing

    def create_location(self, session: Session, data: Mapping[str, Any]) -> Location:
        things = data.get("Things") or []
        thing_id = _ref_id(things[0], "Things") if things else None
        if thing_id is not None:
            self.get_entity(session, Thing, thing_id)
        location = self._location(data, thing_id)
        repo.add(session, location)
        return location

    def create_sensor(self, session: Session, data: Mapping[str, Any]) -> Sensor:
        sensor = Sensor(
            name=_text(data, "name"),
            description=_text(data, "description", required=False),
            encoding_type=str(data.get("encodingType") or "text/plain")[:80],
            sensor_metadata=str(data.get("metadata") or "")[:2000],
        )
        repo.add(session, sensor)
        return sensor

    def create_observed_property(
        self, session: Session, data: Mapping[str, Any]
    ) -> ObservedProperty:
        prop = ObservedProperty(
            name=_text(data, "name"),
            definition=_text(data, "definition", required=False)[:300],
            description=_text(data, "description", required=False),
        )
        repo.add(session, prop)
        return prop

    def _linked(self, session: Session, data: Mapping[str, Any], key: str, model: type[Any]) -> int:
        value = data.get(key)
        ref = _ref_id(value, key)
        if ref is not None:
            self.get_entity(session, model, ref)
            return ref
        if isinstance(value, dict):
            creators = {
                Thing: self.create_thing,
                Sensor: self.create_sensor,
                ObservedProperty: self.create_observed_property,
            }
            created: Any = creators[model](session, value)
            return int(created.id)
        raise BadEntity(N_("Datastream cần {field}."), field=key)

    def create_datastream(self, session: Session, data: Mapping[str, Any]) -> Datastream:
        unit = data.get("unitOfMeasurement")
        if not isinstance(unit, dict):
            raise BadEntity(N_("Thiếu trường {field} (chuỗi)."), field="unitOfMeasurement")
        properties = data.get("properties") or {}
        datastream = Datastream(
            name=_text(data, "name"),
            description=_text(data, "description", required=False),
            observation_type=str(data.get("observationType") or "")[:200]
            or "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
            unit_of_measurement=unit,
            kind=datastream_kind(unit, properties if isinstance(properties, dict) else {}),
            thing_id=self._linked(session, data, "Thing", Thing),
            sensor_id=self._linked(session, data, "Sensor", Sensor),
            observed_property_id=self._linked(session, data, "ObservedProperty", ObservedProperty),
        )
        repo.add(session, datastream)
        return datastream

    # ---------------------------------------------------------------- ingest

    def ingest(
        self,
        session: Session,
        items: Sequence[tuple[int, datetime, float, datetime | None]],
        *,
        now: datetime | None = None,
    ) -> list[int]:
        """Store (datastream, phenomenon time, result, result time) readings, all or nothing.

        Returns the observation ids in input order.  Refuses the whole batch, naming the
        first bad item, on an unknown datastream or a physically impossible value.
        """
        now = now or utcnow()
        kinds = repo.datastream_kinds(session, (item[0] for item in items))
        horizon = now + CLOCK_SKEW
        rows: list[dict[str, Any]] = []
        latest: dict[int, tuple[datetime, float]] = {}
        for index, (datastream_id, moment, result, result_time) in enumerate(items):
            known = kinds.get(datastream_id)
            if known is None:
                raise UnknownDatastream(
                    N_("Quan trắc số {index}: không có Datastream({id})."),
                    index=index,
                    id=datastream_id,
                )
            if not math.isfinite(result):
                raise ImpossibleValue(
                    N_("Quan trắc số {index}: kết quả không phải số."), index=index
                )
            low, high = PHYSICAL_LIMITS[known[0]]
            if not low <= result <= high:
                raise ImpossibleValue(
                    N_(
                        "Quan trắc số {index}: {value} nằm ngoài khoảng có thể có "
                        "({low} … {high}) của Datastream({id})."
                    ),
                    index=index,
                    value=result,
                    low=low,
                    high=high,
                    id=datastream_id,
                )
            if moment > horizon:
                raise ImpossibleValue(
                    N_("Quan trắc số {index}: thời điểm {time} nằm trong tương lai."),
                    index=index,
                    time=moment.isoformat(),
                )
            rows.append(
                {
                    "datastream_id": datastream_id,
                    "phenomenon_time": moment,
                    "result_time": result_time or now,
                    "result": result,
                }
            )
            previous = latest.get(datastream_id)
            if previous is None or previous[0] <= moment:
                latest[datastream_id] = (moment, result)
        ids = repo.upsert_observations(session, rows)
        repo.advance_latest(session, latest)
        depth_things = {kinds[d][1] for d in latest if kinds[d][0] == DatastreamKind.water_depth}
        if depth_things:
            point_ids = repo.point_ids_of_things(session, depth_things)
            if point_ids:
                self.refresh_points(session, point_ids, now=now)
        return ids

    # ---------------------------------------------------------------- hotspots

    def import_hotspots(self, session: Session, *, path: Path) -> ImportReport:
        """Seed flood points from the city's list of flood-prone streets (idempotent).

        The ``synthetic_*`` columns are ignored; ``nominatim_s4_unverified`` points are kept
        but flagged (shown, never projected onto segments).
        """
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                rows = list(csv.DictReader(handle))
        except (OSError, UnicodeDecodeError) as error:
            raise HotspotImportFailed(N_("Không đọc được tệp: {error}"), error=str(error)) from None
        required = {"street_name", "lat", "lon", "geocode_quality"}
        if not rows or not required <= set(rows[0]):
            raise HotspotImportFailed(
                N_("Tệp cần các cột {columns}."), columns=", ".join(sorted(required))
            )
        index = self._index(session)
        imported = updated = flagged = without = 0
        seen: set[tuple[str, str]] = set()
        for number, row in enumerate(rows, start=2):
            name = row["street_name"].strip()
            district = (row.get("legacy_district_key") or "").strip()[:40]
            if not name or (name, district) in seen:
                continue
            seen.add((name, district))
            try:
                lon, lat = float(row["lon"]), float(row["lat"])
            except ValueError:
                raise HotspotImportFailed(
                    N_("Dòng {line}: toạ độ không hợp lệ."), line=number
                ) from None
            quality = row["geocode_quality"].strip()
            point = repo.hotspot(session, name, district)
            if point is None:
                point = FloodPoint(
                    name=name, origin="hotspot", district_key=district, lon=lon, lat=lat
                )
                session.add(point)
                imported += 1
            else:
                updated += 1
            point.lon, point.lat = lon, lat
            point.geocode_quality = quality[:40]
            point.source = row.get("source_batch", "").strip()[:120]
            point.flagged = quality.endswith("unverified")
            flagged += point.flagged
            if index is not None:
                point.network_version = index.version
                point.segments = [] if point.flagged else snap(index, lon, lat, street=name)
                without += not point.segments
        session.flush()
        return ImportReport(
            imported=imported, updated=updated, flagged=flagged, without_segments=without
        )

    def _index(self, session: Session) -> NetworkIndex | None:
        try:
            return road_service.index(session)
        except NoRoadNetwork:
            return None

    def reproject(self, session: Session, *, now: datetime | None = None) -> int:
        """Snap the points made on another road network to the active one, then publish their
        water there (after a new OSM import the old segment ids mean nothing).  Returns how
        many points moved."""
        index = self._index(session)
        if index is None:
            return 0
        moved = repo.points_off_network(session, index.version)
        for point in moved:
            point.network_version = index.version
            street = point.name if point.origin == "hotspot" else None
            point.segments = (
                [] if point.flagged else snap(index, point.lon, point.lat, street=street)
            )
        session.flush()
        if moved:
            self.refresh_points(session, [p.id for p in moved], now=now)
        return len(moved)

    # ---------------------------------------------------------------- reports

    def add_report(
        self,
        session: Session,
        *,
        lon: float,
        lat: float,
        depth_cm: float,
        source: DepthSource = DepthSource.report,
        verified: bool = False,
        photo: bytes | None = None,
        external_id: str | None = None,
        observed_at: datetime | None = None,
        now: datetime | None = None,
    ) -> FloodReport:
        """A depth estimate at a place, attached to the nearest flood point (created if none)."""
        now = now or utcnow()
        if external_id is not None:
            existing = repo.report_by_external_id(session, external_id)
            if existing is not None:
                return existing
        low, high = PHYSICAL_LIMITS[DatastreamKind.water_depth]
        if not (math.isfinite(depth_cm) and low <= depth_cm <= high):
            raise ImpossibleValue(
                N_("Độ sâu {value} cm không thể có (0 … {high} cm)."), value=depth_cm, high=high
            )
        moment = observed_at or now
        if moment > now + CLOCK_SKEW:
            raise ImpossibleValue(
                N_("Quan trắc số {index}: thời điểm {time} nằm trong tương lai."),
                index=0,
                time=moment.isoformat(),
            )
        index = self._index(session)
        radius = get_settings().flood_snap_radius_m
        if index is None or not index.nearest_segments(lon, lat, max_distance_m=radius):
            raise FarFromStreet(
                N_("Không có con đường nào trong vòng {radius} m quanh vị trí này."),
                radius=int(radius),
            )
        stored = get_storage().save(session, photo, allowed=IMAGE_TYPES) if photo else None
        point = self._point_for(session, index, lon, lat)
        report = FloodReport(
            point_id=point.id,
            external_id=external_id,
            source=source,
            verified=verified or source in (DepthSource.officer, DepthSource.camera),
            depth_cm=depth_cm,
            lon=lon,
            lat=lat,
            photo_sha256=stored.sha256 if stored else None,
            observed_at=moment,
        )
        repo.add(session, report)
        self.refresh_points(session, {point.id}, now=now)
        return report

    def _point_for(
        self, session: Session, index: NetworkIndex, lon: float, lat: float
    ) -> FloodPoint:
        nearby = repo.points_near(session, lon, lat, REPORT_RADIUS_M / 100_000)
        best = min(
            ((p, _metres(lon, lat, p.lon, p.lat)) for p in nearby),
            key=lambda item: item[1],
            default=None,
        )
        if best is not None and best[1] <= REPORT_RADIUS_M:
            return best[0]
        segments = snap(index, lon, lat)
        name = index.graph.segment_name[segments[0]] if segments else ""
        point = FloodPoint(
            name=name or "—",
            origin="reported",
            lon=lon,
            lat=lat,
            network_version=index.version,
            segments=segments,
        )
        repo.add(session, point)
        return point

    def on_report_created(self, session: Session, payload: Mapping[str, Any]) -> FloodReport | None:
        """``report.created`` from the reports module: flooding reports feed the fusion."""
        if str(payload.get("category", "")).lower() not in ("flooding", "flood", "ngap"):
            return None
        fields = payload.get("fields") or {}
        depth = report_depth(fields)
        if depth is None:
            return None
        verified = str(payload.get("status", "")) in ("verified", "confirmed")
        return self.add_report(
            session,
            lon=float(payload["lon"]),
            lat=float(payload["lat"]),
            depth_cm=depth,
            verified=verified,
            source=DepthSource.officer if verified else DepthSource.report,
            external_id=f"report:{payload.get('report_id')}",
        )

    # ---------------------------------------------------------------- fusion

    def fuse(
        self,
        point: FloodPoint,
        sensor: tuple[datetime, float] | None,
        reports: Iterable[FloodReport],
        now: datetime,
    ) -> Fused:
        settings = get_settings()
        candidates: list[Fused] = []
        if sensor is not None and now - sensor[0] <= timedelta(
            minutes=settings.flood_sensor_stale_min
        ):
            candidates.append(
                Fused(sensor[1], SOURCE_WEIGHT[DepthSource.sensor], DepthSource.sensor, sensor[0])
            )
        fade = timedelta(minutes=settings.flood_report_fade_min)
        citizen_w: list[tuple[float, float]] = []
        citizen_latest: datetime | None = None
        for report in reports:
            age = now - report.observed_at
            if age > fade or age < -CLOCK_SKEW:
                continue
            freshness = max(0.0, 1.0 - age / fade)
            if report.verified:
                source = (
                    report.source if report.source != DepthSource.report else DepthSource.officer
                )
                candidates.append(
                    Fused(
                        report.depth_cm,
                        SOURCE_WEIGHT[source] * freshness,
                        source,
                        report.observed_at,
                    )
                )
            else:
                citizen_w.append((settings.flood_report_weight * freshness, report.depth_cm))
                citizen_latest = max(citizen_latest or report.observed_at, report.observed_at)
        if citizen_w:
            # Independent reports corroborate: 1 − Π(1 − wᵢ); depth is the weighted mean.
            miss = math.prod(1.0 - w for w, _ in citizen_w)
            total = sum(w for w, _ in citizen_w)
            depth = sum(w * d for w, d in citizen_w) / total if total > 0 else 0.0
            candidates.append(Fused(depth, 1.0 - miss, DepthSource.report, citizen_latest))
        if not candidates:
            return Fused(0.0, 0.0, DepthSource.none, None)
        return max(candidates, key=lambda c: (round(c.confidence, 6), c.observed_at or now))

    def refresh_points(
        self, session: Session, point_ids: Iterable[int], *, now: datetime | None = None
    ) -> None:
        now = now or utcnow()
        settings = get_settings()
        points = repo.points_by_ids(session, point_ids)
        if not points:
            return
        ids = [p.id for p in points]
        streams = repo.sensor_things_of_points(session, ids)
        stream_rows = {
            d.id: d
            for d in repo.datastreams_by_ids(session, [s for v in streams.values() for s in v])
        }
        reports: dict[int, list[FloodReport]] = {}
        for report in repo.reports_for(
            session, ids, now - timedelta(minutes=settings.flood_report_fade_min)
        ):
            reports.setdefault(report.point_id, []).append(report)
        changed: list[int] = []
        for point in points:
            sensor: tuple[datetime, float] | None = None
            for stream_id in streams.get(point.id, []):
                row = stream_rows[stream_id]
                if (
                    row.last_time is not None
                    and row.last_result is not None
                    and (sensor is None or row.last_time > sensor[0])
                ):
                    sensor = (row.last_time, row.last_result)
            fused = self.fuse(point, sensor, reports.get(point.id, []), now)
            if self._apply(point, fused, now):
                changed.append(point.id)
        session.flush()
        if changed:
            publish_after_commit(session, POINTS_CHANGED, point_ids=changed)
        self.publish_segments(session, now=now)

    def _apply(self, point: FloodPoint, fused: Fused, now: datetime) -> bool:
        settings = get_settings()
        before = (
            point.state,
            round(point.depth_cm, 1),
            point.depth_source,
            round(point.confidence, 2),
        )
        depth = round(fused.depth_cm, 1)
        if (
            point.observed_at is not None
            and fused.observed_at is not None
            and fused.observed_at > point.observed_at
        ):
            hours = (fused.observed_at - point.observed_at).total_seconds() / 3600
            point.trend_cm_h = round((depth - point.depth_cm) / hours, 1) if hours > 0 else 0.0
        elif fused.observed_at is None:
            point.trend_cm_h = 0.0
        state = next_state(
            point.state,
            depth=depth,
            previous_depth=point.depth_cm,
            wet_since=point.wet_since,
            now=now,
            min_depth=settings.flood_min_depth_cm,
            dry=settings.flood_dry_cm,
            min_duration=timedelta(minutes=settings.flood_min_duration_min),
        )
        if depth >= settings.flood_min_depth_cm and point.wet_since is None:
            point.wet_since = fused.observed_at or now
        elif depth < settings.flood_min_depth_cm:
            point.wet_since = None
        if state != point.state:
            point.state = state
            point.state_since = now
        point.depth_cm = depth
        point.confidence = round(fused.confidence, 3)
        point.depth_source = fused.source
        point.observed_at = fused.observed_at
        trusted = fused.confidence >= settings.flood_publish_confidence and not point.flagged
        point.published_cm = depth if trusted and depth >= settings.flood_dry_cm else 0.0
        after = (
            point.state,
            round(point.depth_cm, 1),
            point.depth_source,
            round(point.confidence, 2),
        )
        return before != after

    # ---------------------------------------------------------------- segments and alerts

    def publish_segments(
        self, session: Session, *, now: datetime | None = None
    ) -> dict[int, float]:
        """Recompute per-segment depths from the points; publish only the changed ones."""
        now = now or utcnow()
        index = self._index(session)
        if index is None:
            return {}
        wanted: dict[int, float] = {}
        for point in repo.wet_points(session):
            if point.published_cm <= 0 or point.network_version != index.version:
                continue
            for segment in point.segments:
                wanted[segment] = max(wanted.get(segment, 0.0), point.published_cm)
        return self._publish(session, index.version, wanted, forecast=False, now=now)

    def _publish(
        self,
        session: Session,
        version: str,
        wanted: Mapping[int, float],
        *,
        forecast: bool,
        now: datetime,
    ) -> dict[int, float]:
        current = repo.segment_depths(session, version, forecast=forecast)
        changed = {s: d for s, d in wanted.items() if abs(current.get(s, 0.0) - d) >= 0.5}
        changed.update({s: 0.0 for s in current if s not in wanted})
        if not changed:
            return {}
        repo.save_segment_depths(session, version, forecast=forecast, changed=changed, now=now)
        publish_after_commit(
            session,
            NETWORK_CHANGED,
            network_version=version,
            depth_cm={str(s): round(d, 1) for s, d in sorted(changed.items())},
            forecast=forecast,
        )
        self._alert_subscribers(session, version, changed, forecast=forecast, now=now)
        return changed

    def publish_forecast(
        self, session: Session, depths: Mapping[int, float], *, now: datetime
    ) -> dict[int, float]:
        """Per-point forecast depths (max over the horizon) → forecast segment depths."""
        index = self._index(session)
        if index is None:
            return {}
        wanted: dict[int, float] = {}
        threshold = get_settings().flood_min_depth_cm
        for point in repo.points_by_ids(session, depths):
            depth = depths[point.id]
            if depth < threshold or point.flagged or point.network_version != index.version:
                continue
            for segment in point.segments:
                wanted[segment] = max(wanted.get(segment, 0.0), round(depth, 1))
        return self._publish(session, index.version, wanted, forecast=True, now=now)

    def _alert_subscribers(
        self,
        session: Session,
        version: str,
        changed: Mapping[int, float],
        *,
        forecast: bool,
        now: datetime,
    ) -> None:
        limit = get_settings().flood_alert_depth_cm
        deep = {s: d for s, d in changed.items() if d >= limit}
        if not deep:
            return
        for subscription in repo.subscriptions(session, version):
            hit = sorted(set(subscription.segments) & set(deep))
            if not hit:
                continue
            depth = max(deep[s] for s in hit)
            message = (
                N_("Dự báo ngập {depth} cm trên {label} trong vài giờ tới.")
                if forecast
                else N_("Đang ngập {depth} cm trên {label}.")
            )
            session.add(
                Alert(
                    subscription_id=subscription.id,
                    kind="forecast" if forecast else "flood",
                    depth_cm=depth,
                    segments=hit,
                    message=message,
                    params={"depth": round(depth), "label": subscription.label},
                    created_at=now,
                )
            )
        session.flush()

    def subscribe(
        self,
        session: Session,
        *,
        owner: str,
        label: str,
        segments: Sequence[int] | None = None,
        line: Sequence[Sequence[float]] | None = None,
        lon: float | None = None,
        lat: float | None = None,
        radius_m: float = 300.0,
    ) -> Subscription:
        """A place (point + radius) or a route (segment ids or a polyline) to watch."""
        index = self._index(session)
        if index is None:
            raise NoRoadNetwork()
        chosen: set[int] = set()
        if segments:
            bad = [s for s in segments if not 0 <= s < index.graph.segment_count]
            if bad:
                raise BadEntity(
                    N_("Đoạn đường không tồn tại: {ids}"), ids=", ".join(map(str, bad[:5]))
                )
            chosen.update(int(s) for s in segments)
        if line:
            for position in line:
                for segment, _ in index.nearest_segments(
                    position[0], position[1], max_distance_m=25.0
                )[:2]:
                    chosen.add(segment)
        if lon is not None and lat is not None:
            chosen.update(s for s, _ in index.nearest_segments(lon, lat, max_distance_m=radius_m))
        if not chosen:
            raise FarFromStreet(
                N_("Không có con đường nào trong vòng {radius} m quanh vị trí này."),
                radius=int(radius_m),
            )
        subscription = Subscription(
            owner=owner, label=label[:200], network_version=index.version, segments=sorted(chosen)
        )
        repo.add(session, subscription)
        return subscription

    def city_alert(
        self,
        session: Session,
        *,
        kind: str,
        level: int,
        message: str,
        params: dict[str, Any],
        now: datetime,
    ) -> Alert | None:
        """A city-wide alert (tide levels), raised once per level change."""
        last = repo.latest_city_alert(session, kind)
        if last is not None and last.level == level:
            return None
        alert = Alert(kind=kind, level=level, message=message, params=params, created_at=now)
        repo.add(session, alert)
        return alert

    def tick(self, session: Session, *, now: datetime | None = None) -> None:
        """Periodic: reports fade, stale sensors stop counting."""
        now = now or utcnow()
        fade = timedelta(minutes=get_settings().flood_report_fade_min)
        ids = {p.id for p in repo.wet_points(session)} | repo.points_with_reports_since(
            session, now - fade - timedelta(minutes=5)
        )
        if ids:
            self.refresh_points(session, ids, now=now)

    # ---------------------------------------------------------------- read models

    def points_geojson(self, session: Session, *, now: datetime) -> dict[str, Any]:
        index = self._index(session)
        stations: dict[int, list[int]] = {}
        for thing, _location in repo.things_with_locations(session):
            if thing.point_id is not None:
                stations.setdefault(thing.point_id, []).append(thing.id)
        features = []
        for point in repo.points(session):
            age = (now - point.observed_at).total_seconds() / 60 if point.observed_at else None
            features.append(
                {
                    "type": "Feature",
                    "id": point.id,
                    "geometry": {"type": "Point", "coordinates": [point.lon, point.lat]},
                    "properties": {
                        "id": point.id,
                        "name": point.name,
                        "origin": point.origin,
                        "state": str(point.state),
                        "depth_cm": point.depth_cm,
                        "trend_cm_h": point.trend_cm_h,
                        "source": str(point.depth_source),
                        "confidence": point.confidence,
                        "routed_cm": point.published_cm,
                        "since": point.state_since.isoformat(),
                        "observed_at": point.observed_at.isoformat() if point.observed_at else None,
                        "age_min": round(age, 1) if age is not None else None,
                        "flagged": point.flagged,
                        "segments": len(point.segments),
                        "stations": stations.get(point.id, []),
                    },
                }
            )
        return {
            "type": "FeatureCollection",
            "features": features,
            "network_version": index.version if index else None,
        }

    def tide(self, session: Session, *, start: datetime, hours: int) -> TideOut:
        from smartcity.flood import tide as tide_model

        label, times, levels = tide_model.curve(session, start=start, hours=hours)
        now_m = float(levels[0])
        return TideOut(
            model=label,
            approximate=label != "utide fit of the gauge's observations",
            alert_levels_m=list(get_settings().tide_alert_levels_m),
            now_m=round(now_m, 3),
            now_alert=tide_model.alert_level(now_m),
            curve=[
                TidePoint(time=t, level_m=round(float(v), 3))
                for t, v in zip(times, levels, strict=True)
            ],
        )

    def series(self, session: Session, thing_id: int, *, since: datetime) -> SeriesOut:
        thing = self.get_entity(session, Thing, thing_id)
        streams = []
        for stream in repo.datastreams_of_things(session, [thing_id]):
            readings = repo.observations_since(session, stream.id, since)
            streams.append(
                {
                    "id": stream.id,
                    "name": stream.name,
                    "kind": str(stream.kind),
                    "unit": stream.unit_of_measurement.get("symbol", ""),
                    "points": [[t.isoformat(), v] for t, v in readings],
                }
            )
        return SeriesOut(thing_id=thing.id, name=thing.name, datastreams=streams)

    def rain_last_hour(self, session: Session, *, now: datetime) -> float:
        """Mean over the rain gauges of the rain (mm) in the last hour."""
        totals = [
            sum(v for _, v in repo.observations_since(session, s.id, now - timedelta(hours=1)))
            for s in repo.datastreams_of_kind(session, DatastreamKind.rainfall)
        ]
        return sum(totals) / len(totals) if totals else 0.0

    def forecast(self, session: Session, *, now: datetime, publish: bool = False) -> ForecastOut:
        from smartcity.flood import forecast as model
        from smartcity.flood import tide as tide_model

        steps = int(max(model.LEADS_H) / model.STEP_H)
        times = [now + timedelta(hours=model.STEP_H * (i + 1)) for i in range(steps)]
        tide = tide_model.model(session, now=now)
        future_tide = tide.predict(times)
        tide_now = float(tide.predict([now])[0])
        rain = model.nowcast_rain(self.rain_last_hour(session, now=now), steps)
        threshold = get_settings().flood_min_depth_cm
        rows: list[ForecastRow] = []
        horizon_max: dict[int, float] = {}
        for point in repo.points(session):
            if point.flagged:
                continue
            response = model.Response.for_point(point.name, point.response)
            depths = model.forecast(
                response,
                depth_now=point.depth_cm,
                tide_now=tide_now,
                future_rain_mm_h=rain,
                future_tide_m=future_tide,
            )
            horizon_max[point.id] = max(depths.values())
            if max(depths.values()) < threshold / 2 and point.depth_cm < threshold / 2:
                continue
            rows.append(
                ForecastRow(
                    point_id=point.id,
                    name=point.name,
                    depth_now_cm=point.depth_cm,
                    depth_cm={f"{k}h": v for k, v in depths.items()},
                    risk={f"{k}h": model.risk_word(v, threshold) for k, v in depths.items()},
                )
            )
        if publish:
            self.publish_forecast(session, horizon_max, now=now)
        return ForecastOut(
            issued_at=now,
            assumptions=[
                line.strip("* ").strip() for line in (model.__doc__ or "").split("\n* ")[1:]
            ],
            points=sorted(rows, key=lambda r: -max(r.depth_cm.values())),
        )

    def calibrate(
        self, session: Session, *, now: datetime, days: float = 30.0
    ) -> dict[str, dict[str, float]]:
        """Fit each sensor-equipped point's rain and tide response to its own last ``days``
        of depth readings, the rain gauges (their mean) and the predicted tide, in steps of
        ``STEP_H``; stores the fitted parameters.  Returns them by point name."""
        from smartcity.flood import forecast as model
        from smartcity.flood import tide as tide_model

        step = timedelta(hours=model.STEP_H)
        steps = int(days * 24 / model.STEP_H)
        start = now - step * steps

        def totals(datastream_ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
            amount, count = np.zeros(steps), np.zeros(steps)
            for datastream_id in datastream_ids:
                for moment, value in repo.observations_since(session, datastream_id, start):
                    i = int((moment - start) / step)
                    if 0 <= i < steps:
                        amount[i] += value
                        count[i] += 1
            return amount, count

        gauges = [d.id for d in repo.datastreams_of_kind(session, DatastreamKind.rainfall)]
        if not gauges:
            return {}
        rain_mm, _ = totals(gauges)
        rain_mm_h = rain_mm / len(gauges) / model.STEP_H
        tide = tide_model.model(session, now=now).predict(
            [start + step * (i + 0.5) for i in range(steps)]
        )
        streams = repo.sensor_things_of_points(session, [p.id for p in repo.points(session)])
        fitted: dict[str, dict[str, float]] = {}
        for point in repo.points_by_ids(session, streams):
            depth_sum, readings = totals(streams[point.id])
            observed = np.where(readings > 0, depth_sum / np.maximum(readings, 1), np.nan)
            default = model.Response.for_point(point.name)
            response = model.calibrate(default, rain_mm_h, tide, observed)
            if response == default:
                continue
            point.response = asdict(response)
            fitted[point.name] = point.response
        session.flush()
        return fitted

    def alerts_for(self, session: Session, *, owner: str, limit: int) -> list[Alert]:
        return repo.alerts_of(session, owner, limit)

    def live_depths(self, session: Session) -> tuple[str | None, dict[int, float]]:
        """Current per-segment depths, for routing's live source on start-up."""
        index = self._index(session)
        if index is None:
            return None, {}
        return index.version, repo.segment_depths(session, index.version, forecast=False)


def report_depth(fields: Mapping[str, Any]) -> float | None:
    value = fields.get("water_depth_cm")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    for key in ("water_depth", "water_depth_level", "depth"):
        word = fields.get(key)
        if isinstance(word, str) and word.lower() in DEPTH_WORDS:
            return DEPTH_WORDS[word.lower()]
    return None


def next_state(
    state: PointState,
    *,
    depth: float,
    previous_depth: float,
    wet_since: datetime | None,
    now: datetime,
    min_depth: float,
    dry: float,
    min_duration: timedelta,
) -> PointState:
    """dry → pooling → flooded → receding → dry.

    Water below ``min_depth``, or above it for less than ``min_duration``, is pooling (tụ
    nước), not flooded by criterion; a flooded point whose water falls is receding.
    """
    if depth < dry:
        return PointState.dry
    if state in (PointState.flooded, PointState.receding):
        if depth < previous_depth - 0.5 or (
            state is PointState.receding and depth <= previous_depth + 0.5
        ):
            return PointState.receding
        return PointState.flooded if depth >= min_depth else PointState.receding
    if depth >= min_depth and wet_since is not None and now - wet_since >= min_duration:
        return PointState.flooded
    return PointState.pooling


def snap(index: NetworkIndex, lon: float, lat: float, *, street: str | None = None) -> list[int]:
    """Segments a point floods: the named street's own segments within the radius first,
    else the nearest segment and those touching it within 40 m."""
    radius = get_settings().flood_snap_radius_m
    near = index.nearest_segments(lon, lat, max_distance_m=radius)
    if not near:
        return []
    if street:
        key = _fold(street)
        own = [s for s, _ in near if key and key in _fold(index.graph.segment_name[s])]
        if own:
            return sorted(own)
    return sorted({s for s, d in near if d <= near[0][1] + 40.0})


def _fold(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").strip()


flood = FloodService()

__all__ = ["FloodService", "flood", "next_state", "parse_time", "report_depth", "snap"]
