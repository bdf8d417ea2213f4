"""Traffic rules: probe ingest (validate → match → live speeds), congestion levels, typical
profiles and forecasts, cameras, incidents and citizen traffic reports."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from smartcity.config import get_settings
from smartcity.core.clock import VN_TZ, utcnow
from smartcity.core.db import Database
from smartcity.core.errors import PayloadTooLarge
from smartcity.core.events import publish_after_commit
from smartcity.core.i18n import N_
from smartcity.core.storage import JPEG, PNG, get_storage
from smartcity.roads.index import NetworkIndex, to_local_metres
from smartcity.roads.service import roads as road_service
from smartcity.traffic import repository
from smartcity.traffic.errors import (
    CameraNotFound,
    IncidentNotFound,
    SegmentNotFound,
    TrafficImportFailed,
)
from smartcity.traffic.forecast import (
    HORIZONS_MIN,
    Evaluation,
    evaluate,
    forecast_speed,
    load_history,
)
from smartcity.traffic.live import LEVELS, LOS, LiveSpeeds, congestion_level, level_of_service
from smartcity.traffic.matching import MatchNetwork, MatchParams, match
from smartcity.traffic.models import (
    Camera,
    CameraSnapshot,
    HistorySegment,
    Incident,
    TrafficReport,
)
from smartcity.traffic.schemas import (
    CameraOut,
    IncidentCreate,
    ProbeBatch,
    ProbeIngestResult,
    SegmentTraffic,
)

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Free-flow speed (km/h) by road class when the map gives none.
DEFAULT_FREE_FLOW_KMH = 35.0
#: A pair of consecutive fixes further apart than this gives no speed observation.
MAX_PAIR_GAP_S = 180.0
#: Report categories of the reports module that concern traffic.
TRAFFIC_REPORT_CATEGORIES = frozenset(
    {"traffic_jam", "jam", "accident", "broken_signal", "traffic_light", "obstruction"}
)
REPORT_KIND = {
    "traffic_jam": "jam",
    "jam": "jam",
    "accident": "accident",
    "broken_signal": "broken_signal",
    "traffic_light": "broken_signal",
    "obstruction": "obstruction",
}
VERIFIED_STATUSES = frozenset({"verified", "accepted", "in_progress", "assigned"})
CLOSED_STATUSES = frozenset({"resolved", "closed", "rejected"})


@dataclass
class _Vehicle:
    t: float
    x: float
    y: float


@dataclass
class NetworkState:
    """Everything traffic keeps in memory for one network version."""

    index: NetworkIndex
    matcher: MatchNetwork
    live: LiveSpeeds
    free_flow_kmh: FloatArray
    vehicles: dict[str, _Vehicle] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    typical_scale: FloatArray | None = None  # per segment; NaN = no history
    city_ratio: FloatArray | None = None  # 7 × 48
    forecast_weight: dict[int, float] = field(default_factory=dict)  # per horizon (min)
    profile_stamp: str = ""

    @property
    def version(self) -> str:
        return self.index.version


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def slot_of(epoch_s: float) -> tuple[int, int]:
    """(weekday 0 = Monday, half-hour slot 0..47) in Ho Chi Minh City time."""
    local = datetime.fromtimestamp(epoch_s, tz=VN_TZ)
    return local.weekday(), local.hour * 2 + local.minute // 30


def join_history(
    index: NetworkIndex, rows: Sequence[HistorySegment]
) -> list[tuple[int, HistorySegment]]:
    """(segment, history row) for the history segments found on this network: by their OSM
    end nodes, else the nearest segment within 15 m of their middle; when two land on one
    segment, the better-sampled wins.  Half a second for the 10,027 segments of 2020, once
    per network and process, so nothing derived from it is stored."""
    if not rows:
        return []
    graph = index.graph
    tail = graph.node_ids_for_osm(np.array([r.start_osm_node for r in rows], dtype=np.int64))
    head = graph.node_ids_for_osm(np.array([r.end_osm_node for r in rows], dtype=np.int64))
    joined: dict[int, HistorySegment] = {}
    for row, u, v in zip(rows, tail.tolist(), head.tolist(), strict=True):
        segment = -1
        if u >= 0 and v >= 0:
            arcs = np.arange(graph.first_out[u], graph.first_out[u + 1])
            hit = arcs[graph.head[arcs] == v]
            if len(hit):
                segment = int(graph.arc_segment[hit[0]])
        if segment < 0:
            near = index.nearest_segments(row.mid_lon, row.mid_lat, max_distance_m=15.0)
            if near:
                segment = near[0][0]
        if segment >= 0 and (segment not in joined or row.samples > joined[segment].samples):
            joined[segment] = row
    return list(joined.items())


class TrafficService:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: NetworkState | None = None
        self._publisher: threading.Thread | None = None
        self._stop = threading.Event()

    # --- the in-memory state -------------------------------------------------------

    def state(self, session: Session) -> NetworkState:
        index = road_service.index(session)
        with self._lock:
            if self._state is not None and self._state.version == index.version:
                return self._state
        state = self._build_state(session, index)
        with self._lock:
            if self._state is None or self._state.version != index.version:
                self._state = state
            return self._state

    def _build_state(self, session: Session, index: NetworkIndex) -> NetworkState:
        graph = index.graph
        free = np.zeros(graph.segment_count, dtype=np.float64)
        np.maximum.at(free, graph.arc_segment, graph.arc_maxspeed_kmh.astype(np.float64))
        free[free <= 0] = DEFAULT_FREE_FLOW_KMH
        settings = get_settings()
        state = NetworkState(
            index=index,
            matcher=MatchNetwork.build(graph, index.local_lines, index.local_tree),
            live=LiveSpeeds(graph.segment_count, window_s=settings.traffic_live_window_s),
            free_flow_kmh=free,
        )
        rows = repository.speeds(session, index.version)
        if rows:
            state.live.load(
                np.array([r.segment for r in rows], dtype=np.int64),
                np.array([r.speed_kmh for r in rows]),
                np.array([_epoch(r.observed_at) for r in rows]),
            )
        self._load_profiles(session, state)
        return state

    def _load_profiles(self, session: Session, state: NetworkState) -> int:
        """Typical traffic and forecast weights for this network; returns how many of its
        segments the history covers."""
        scale = np.full(state.index.graph.segment_count, np.nan)
        for segment, row in join_history(state.index, repository.history_segments(session)):
            scale[segment] = row.scale
            state.free_flow_kmh[segment] = row.free_flow_kmh
        city = repository.city_profile(session)
        if city:
            ratio = np.full((7, 48), np.nan)
            for c in city:
                ratio[c.weekday, c.slot] = c.ratio
            state.city_ratio = ratio
            state.typical_scale = scale
        state.forecast_weight = {
            m.horizon_min: m.typical_weight for m in repository.forecast_models(session)
        }
        state.profile_stamp = repository.profile_stamp(session)
        return int(np.count_nonzero(~np.isnan(scale)))

    def reset(self) -> None:
        """Forget the in-memory state (tests, network switch)."""
        with self._lock:
            self._state = None

    # --- probe ingest ----------------------------------------------------------------

    def ingest(self, session: Session, *, batch: ProbeBatch) -> ProbeIngestResult:
        """Validate, match and fold a batch of probe points into the live speeds.

        Rejected points are counted per reason; nothing about them is stored.  A point is
        identified by (vehicle, time): a repeat of a vehicle's latest time is a duplicate,
        an earlier time is out of order.
        """
        settings = get_settings()
        state = self.state(session)
        points = batch.points
        n = len(points)
        vehicles = [p.vehicle_id for p in points]
        t = np.fromiter((p.time.timestamp() for p in points), dtype=np.float64, count=n)
        lon = np.fromiter((p.lon for p in points), dtype=np.float64, count=n)
        lat = np.fromiter((p.lat for p in points), dtype=np.float64, count=n)
        now = time.time()
        reason = np.zeros(n, dtype=np.int8)  # 0 = accepted
        reasons = ("", "future", "stale", "outside_area", "duplicate", "out_of_order", "teleport")
        west, south, east, north = settings.traffic_city_bbox
        reason[t > now + settings.traffic_max_future_s] = 1
        reason[(reason == 0) & (t < now - settings.traffic_max_point_age_s)] = 2
        outside = (lon < west) | (lon > east) | (lat < south) | (lat > north)
        reason[(reason == 0) & outside] = 3
        x, y = to_local_metres(lon, lat)
        codes, vehicle_code = np.unique(np.array(vehicles, dtype=object), return_inverse=True)
        order = np.lexsort((t, vehicle_code))
        max_speed = settings.traffic_max_speed_kmh / 3.6

        trace_start = [0]
        tt: list[float] = []
        tx: list[float] = []
        ty: list[float] = []
        new_point: list[int] = []  # index into the batch, -1 for a carried-over point
        with state.lock:
            group_bounds = np.flatnonzero(np.diff(vehicle_code[order])) + 1
            for group in np.split(order, group_bounds):
                vehicle_id = str(codes[vehicle_code[group[0]]])
                previous = state.vehicles.get(vehicle_id)
                last_t = previous.t if previous else -np.inf
                last_x = previous.x if previous else np.nan
                last_y = previous.y if previous else np.nan
                carried = previous is not None and now - previous.t <= MAX_PAIR_GAP_S
                kept_any = False
                for i in group.tolist():
                    if reason[i]:
                        continue
                    if t[i] == last_t:
                        reason[i] = 4
                        continue
                    if t[i] < last_t:
                        reason[i] = 5
                        continue
                    if not np.isnan(last_x):
                        jump = float(np.hypot(x[i] - last_x, y[i] - last_y))
                        if jump > max_speed * (t[i] - last_t) + 100.0:
                            reason[i] = 6
                            continue
                    if not kept_any and carried and previous is not None:
                        tt.append(previous.t)
                        tx.append(previous.x)
                        ty.append(previous.y)
                        new_point.append(-1)
                    kept_any = True
                    tt.append(float(t[i]))
                    tx.append(float(x[i]))
                    ty.append(float(y[i]))
                    new_point.append(i)
                    last_t, last_x, last_y = float(t[i]), float(x[i]), float(y[i])
                if kept_any:
                    state.vehicles[vehicle_id] = _Vehicle(last_t, last_x, last_y)
                    trace_start.append(len(tt))
        accepted = int(np.count_nonzero(reason == 0))
        matched = 0
        updated = 0
        if tt:
            t_arr = np.asarray(tt)
            result = match(
                state.matcher,
                np.asarray(trace_start, dtype=np.int64),
                t_arr,
                np.asarray(tx),
                np.asarray(ty),
                MatchParams(sigma_m=settings.traffic_gps_sigma_m),
            )
            is_new = np.asarray(new_point) >= 0
            matched = int(np.count_nonzero(is_new & (result.segment >= 0)))
            updated = self._observe(state, np.asarray(trace_start), t_arr, result)
        rejected: dict[str, int] = {}
        for code in np.unique(reason[reason > 0]).tolist():
            rejected[reasons[code]] = int(np.count_nonzero(reason == code))
        return ProbeIngestResult(
            received=n,
            accepted=accepted,
            matched=matched,
            rejected=rejected,
            segments_updated=updated,
        )

    def _observe(
        self, state: NetworkState, trace_start: IntArray, t: FloatArray, result: Any
    ) -> int:
        """Speeds between consecutive matched fixes, credited to both fixes' segments."""
        n = len(t)
        first_of_trace = np.zeros(n, dtype=np.bool_)
        first_of_trace[trace_start[:-1][trace_start[:-1] < n]] = True
        previous_segment = np.roll(result.segment, 1)
        dt = t - np.roll(t, 1)
        ok = (
            ~first_of_trace
            & (result.segment >= 0)
            & (previous_segment >= 0)
            & ~np.isnan(result.route_m)
            & (dt > 0)
            & (dt <= MAX_PAIR_GAP_S)
        )
        speed = np.where(ok, result.route_m / np.where(dt > 0, dt, 1.0) * 3.6, 0.0)[ok]
        segments = np.concatenate((result.segment[ok], previous_segment[ok]))
        speeds = np.concatenate((speed, speed))
        at = np.concatenate((t[ok], t[ok]))
        other = segments[len(speed) :] != segments[: len(speed)]
        keep = np.concatenate((np.ones(len(speed), dtype=np.bool_), other))
        return state.live.observe(segments[keep], speeds[keep], at[keep])

    # --- publishing ------------------------------------------------------------------

    def flush_changes(self, session: Session, now: float | None = None) -> int:
        """Store the segments whose live speed changed, withdraw those no longer fresh, and
        publish ``traffic.speeds_updated`` (after the caller's commit; a withdrawn segment
        has ``null``).  Returns how many segments changed."""
        state = self.state(session)
        changes = state.live.take_changes(time.time() if now is None else now)
        if len(changes.segments) == 0:
            return 0
        live = ~np.isnan(changes.speed_kmh)
        rows = [
            {
                "network_version": state.version,
                "segment": int(s),
                "speed_kmh": round(float(v), 1),
                "samples": int(c),
                "observed_at": datetime.fromtimestamp(float(o), tz=UTC),
            }
            for s, v, c, o in zip(
                changes.segments[live],
                changes.speed_kmh[live],
                changes.samples[live],
                changes.observed_at[live],
                strict=True,
            )
        ]
        withdrawn = changes.segments[~live].tolist()
        repository.replace_speeds(session, state.version, rows, withdrawn=withdrawn)
        speeds: dict[str, float | None] = {
            str(s): round(float(v), 1)
            for s, v in zip(changes.segments[live], changes.speed_kmh[live], strict=True)
        }
        speeds.update(dict.fromkeys(map(str, withdrawn)))
        publish_after_commit(
            session,
            "traffic.speeds_updated",
            network_version=state.version,
            speeds_kmh=speeds,
            observed_at=datetime.fromtimestamp(
                float(changes.observed_at.max()), tz=UTC
            ).isoformat(),
        )
        return len(speeds)

    def fresh_speeds(self, session: Session, now: float | None = None) -> dict[int, float]:
        """The live speed (km/h) of every segment with fresh observations."""
        state = self.state(session)
        with state.live.lock:
            fresh = np.flatnonzero(state.live.fresh(time.time() if now is None else now))
            return dict(zip(fresh.tolist(), state.live.speed[fresh].tolist(), strict=True))

    def start_publisher(
        self, database: Database, *, also: Callable[[Session], object] | None = None
    ) -> None:
        """Run :meth:`flush_changes` every few seconds in a daemon thread (idempotent), then
        ``also`` (e.g. the jam detector), each in its own transaction."""
        with self._lock:
            if self._publisher is not None and self._publisher.is_alive():
                return
            self._stop.clear()
            interval = get_settings().traffic_publish_interval_s
            steps: list[Callable[[Session], object]] = [self.flush_changes]
            if also is not None:
                steps.append(also)

            def loop() -> None:
                while not self._stop.wait(interval):
                    for step in steps:
                        try:
                            with database.session() as session:
                                step(session)
                        except Exception:
                            log.exception("traffic background step %r failed", step)

            self._publisher = threading.Thread(target=loop, name="traffic-publisher", daemon=True)
            self._publisher.start()

    def stop_publisher(self, timeout_s: float = 10.0) -> None:
        """Stop the publisher thread and wait for it to finish its current step."""
        self._stop.set()
        with self._lock:
            publisher, self._publisher = self._publisher, None
        if publisher is not None and publisher is not threading.current_thread():
            publisher.join(timeout_s)

    # --- reading ---------------------------------------------------------------------

    def typical_speed(self, state: NetworkState, segments: IntArray, at: float) -> FloatArray:
        """Typical speed (km/h) at epoch ``at``; NaN where history says nothing."""
        if state.city_ratio is None or state.typical_scale is None:
            return np.full(len(segments), np.nan)
        weekday, slot = slot_of(at)
        city = state.city_ratio[weekday, slot]
        scale = state.typical_scale[segments]
        scale = np.where(np.isnan(scale), 1.0, scale)
        ratio = np.clip(city * scale, 0.05, 1.0)
        return np.asarray(state.free_flow_kmh[segments] * ratio, dtype=np.float64)

    def current(
        self, state: NetworkState, segments: IntArray, now: float | None = None
    ) -> tuple[FloatArray, npt.NDArray[np.int8]]:
        """Speed now and its source per segment: 1 live, 2 typical, 0 none."""
        now = time.time() if now is None else now
        fresh = state.live.fresh(now)[segments]
        live = state.live.speed[segments]
        typical = self.typical_speed(state, segments, now)
        speed = np.where(fresh, live, typical)
        source = np.where(fresh, 1, np.where(np.isnan(typical), 0, 2)).astype(np.int8)
        return speed, source

    def segment(self, session: Session, *, segment: int) -> SegmentTraffic:
        state = self.state(session)
        graph = state.index.graph
        if not 0 <= segment < graph.segment_count:
            raise SegmentNotFound(N_("Không có đoạn đường số {segment}."), segment=segment)
        settings = get_settings()
        ids = np.array([segment], dtype=np.int64)
        now = time.time()
        speed, source = self.current(state, ids, now)
        free = float(state.free_flow_kmh[segment])
        value = float(speed[0])
        level = los = None
        if not np.isnan(value):
            ratio = np.array([value / free])
            level = LEVELS[int(congestion_level(ratio, settings.traffic_level_thresholds)[0])]
            los = LOS[int(level_of_service(ratio, settings.traffic_los_thresholds)[0])]
        current = value if source[0] == 1 else float("nan")
        forecasts: dict[str, float | None] = {}
        for horizon in HORIZONS_MIN:
            typical_then = self.typical_speed(state, ids, now + horizon * 60)[0]
            weight = state.forecast_weight.get(horizon, 0.0)
            predicted = float(forecast_speed(current, typical_then, weight))
            forecasts[f"{horizon}min"] = None if np.isnan(predicted) else round(predicted, 1)
        observed = (
            datetime.fromtimestamp(float(state.live.updated[segment]), tz=UTC)
            if source[0] == 1
            else None
        )
        return SegmentTraffic(
            segment=segment,
            network_version=state.version,
            name=graph.segment_name[segment],
            speed_kmh=None if np.isnan(value) else round(value, 1),
            free_flow_kmh=round(free, 1),
            level=level,
            los=los,
            source=("none", "live", "typical")[int(source[0])],
            observed_at=observed,
            forecast=forecasts,
        )

    def tile_version(self, session: Session) -> str:
        state = self.state(session)
        weekday, slot = slot_of(time.time())
        return f"{state.version[:12]}-{state.live.version}-{state.profile_stamp}-{weekday}-{slot}"

    def tile_segments(
        self, session: Session, bbox: tuple[float, float, float, float], zoom: int
    ) -> list[tuple[int, float, int, int]]:
        """(segment, speed, level code, source) for segments with a known speed."""
        state = self.state(session)
        segments = state.index.segments_in_bbox(bbox, zoom).astype(np.int64)
        if len(segments) == 0:
            return []
        speed, source = self.current(state, segments)
        known = ~np.isnan(speed)
        segments, speed, source = segments[known], speed[known], source[known]
        ratio = speed / state.free_flow_kmh[segments]
        level = congestion_level(ratio, get_settings().traffic_level_thresholds)
        return list(
            zip(
                segments.tolist(),
                np.round(speed, 1).tolist(),
                level.tolist(),
                source.tolist(),
                strict=True,
            )
        )

    # --- history: typical profiles and the forecast ---------------------------------

    def import_history(
        self, session: Session, *, folder: Path, train_until: datetime
    ) -> tuple[int, int, list[Evaluation]]:
        """Learn typical profiles and forecast coefficients from the 2020 history, store them
        and join the history's segments to the active network.  Returns (history segments,
        joined segments, evaluation per horizon)."""
        try:
            history = load_history(folder)
        except (OSError, ValueError, KeyError) as exc:
            raise TrafficImportFailed(
                N_("Dữ liệu lịch sử giao thông không đọc được: {reason}"), reason=str(exc)
            ) from exc
        state = self.state(session)
        settings = get_settings()
        profiles, evaluations = evaluate(
            history,
            train_until.timestamp(),
            window_s=settings.traffic_live_window_s,
            fit_days=settings.traffic_forecast_fit_days,
        )
        history_rows = [
            {
                "source_segment_id": int(history.segment_ids[row]),
                "start_osm_node": int(history.s_node[row]),
                "end_osm_node": int(history.e_node[row]),
                "mid_lon": float(history.mid_lon[row]),
                "mid_lat": float(history.mid_lat[row]),
                "free_flow_kmh": float(history.free_flow_kmh[row]),
                "scale": round(float(profiles.scale[row]), 4),
                "samples": int(profiles.samples[row]),
            }
            for row in range(len(history.segment_ids))
        ]
        city_rows = [
            {
                "weekday": w,
                "slot": k,
                "ratio": round(float(profiles.city_ratio[w, k]), 4),
                "samples": int(profiles.city_samples[w, k]),
            }
            for w in range(7)
            for k in range(48)
        ]
        repository.replace_history(session, history_rows, city_rows)
        repository.replace_forecast_models(
            session,
            [
                {
                    "horizon_min": e.horizon_min,
                    "typical_weight": e.weight,
                    "fitted_on": f"last {settings.traffic_forecast_fit_days} days of the history",
                    "metrics": {
                        "test_from": train_until.date().isoformat(),
                        "pairs_test": e.pairs_test,
                        "mae_kmh": e.mae_kmh,
                        "rmse_kmh": e.rmse_kmh,
                        "los_accuracy": e.los_accuracy,
                        "gain_vs_persistence_kmh": list(e.gain_vs_persistence_kmh),
                    },
                }
                for e in evaluations
            ],
        )
        session.flush()
        return len(history.segment_ids), self._load_profiles(session, state), evaluations

    # --- cameras ---------------------------------------------------------------------

    def import_cameras(self, session: Session, *, path: Path) -> tuple[int, int]:
        """Load the camera register (GeoJSON points); returns (added, updated)."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            features = document["features"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise TrafficImportFailed(
                N_("Tệp camera không đọc được: {reason}"), reason=str(exc)
            ) from exc
        added = updated = 0
        for feature in features:
            props = feature.get("properties") or {}
            coords = (feature.get("geometry") or {}).get("coordinates") or []
            code = str(props.get("code") or props.get("id") or "").strip()
            if not code or len(coords) < 2:
                continue
            existing = repository.camera_by_code(session, code)
            values = {
                "source_id": str(props.get("cam_id") or props.get("id") or "")[:64],
                "name": str(props.get("display_name") or code)[:200],
                "district": str(props.get("district") or "")[:80],
                "management_unit": str(props.get("management_unit") or "")[:200],
                "camera_type": str(props.get("cam_type") or "")[:20],
                "angle": int(props["angle"]) if isinstance(props.get("angle"), int) else None,
                "lon": float(coords[0]),
                "lat": float(coords[1]),
            }
            if existing is None:
                repository.add(session, Camera(code=code, **values))
                added += 1
            else:
                for key, value in values.items():
                    setattr(existing, key, value)
                updated += 1
        session.flush()
        return added, updated

    def cameras(self, session: Session) -> list[CameraOut]:
        snapshots = repository.latest_snapshots(session)
        out = []
        for cam in repository.cameras(session):
            item = CameraOut.model_validate(cam)
            snap = snapshots.get(cam.id)
            if snap is not None:
                item.snapshot_url = f"/files/{snap.sha256}"
                item.snapshot_at = snap.taken_at
            out.append(item)
        return out

    def camera(self, session: Session, *, camera_id: int) -> Camera:
        cam = repository.camera(session, camera_id)
        if cam is None:
            raise CameraNotFound(N_("Không có camera số {camera_id}."), camera_id=camera_id)
        return cam

    def add_snapshot(self, session: Session, *, camera_id: int, data: bytes) -> CameraOut:
        cam = self.camera(session, camera_id=camera_id)
        limit = get_settings().traffic_snapshot_max_bytes
        if len(data) > limit:
            raise PayloadTooLarge(
                N_("Ảnh quá lớn ({size} MB); tối đa {limit} MB."),
                size=round(len(data) / 1_048_576, 1),
                limit=round(limit / 1_048_576, 1),
            )
        stored = get_storage().save(session, data, allowed=frozenset({JPEG, PNG}))
        repository.add(
            session,
            CameraSnapshot(
                camera_id=cam.id,
                sha256=stored.sha256,
                content_type=stored.content_type,
                size=stored.size,
            ),
        )
        horizon = utcnow() - timedelta(hours=get_settings().traffic_snapshot_keep_hours)
        repository.delete_snapshots_before(session, horizon)
        item = CameraOut.model_validate(cam)
        item.snapshot_url = stored.url
        item.snapshot_at = utcnow()
        return item

    def set_camera_status(
        self, session: Session, *, camera_id: int, online: bool, reason: str, actor: str
    ) -> CameraOut:
        from smartcity.core.audit import record

        cam = self.camera(session, camera_id=camera_id)
        cam.online = online
        cam.offline_reason = "" if online else reason
        session.flush()
        record(
            session,
            actor=actor,
            action="traffic.camera_status",
            entity_type="traffic_camera",
            entity_id=cam.id,
            data={"online": online, "reason": reason},
        )
        return CameraOut.model_validate(cam)

    # --- incidents and citizen reports -----------------------------------------------

    def create_incident(
        self,
        session: Session,
        *,
        data: IncidentCreate,
        source: str,
        report_id: str | None = None,
    ) -> Incident:
        state = self.state(session)
        near = state.index.nearest_segments(data.lon, data.lat, max_distance_m=60.0)
        segments = [segment for segment, _ in near[:2]]
        incident = Incident(
            kind=data.kind,
            status="open",
            source=source,
            network_version=state.version,
            segments=segments,
            closed=data.closed,
            delay_s=data.delay_s,
            lon=data.lon,
            lat=data.lat,
            description=data.description,
            report_id=report_id,
        )
        repository.add(session, incident)
        self._publish_incident(session, incident)
        return incident

    def close_incident(self, session: Session, *, incident: Incident) -> Incident:
        incident.status = "closed"
        session.flush()
        self._publish_incident(session, incident)
        return incident

    def _publish_incident(self, session: Session, incident: Incident) -> None:
        payload: dict[str, Any] = {
            "incident_id": incident.id,
            "network_version": incident.network_version,
            "segments": list(incident.segments),
            "status": incident.status,
            "kind": incident.kind,
        }
        if incident.closed:
            payload["closed"] = True
        else:
            payload["delay_s"] = incident.delay_s
        publish_after_commit(session, "traffic.incident_changed", **payload)

    def incident(self, session: Session, *, incident_id: int) -> Incident:
        found = repository.incident(session, incident_id)
        if found is None:
            raise IncidentNotFound(N_("Không có sự cố số {incident_id}."), incident_id=incident_id)
        return found

    def incidents(self, session: Session) -> list[Incident]:
        return list(repository.open_incidents(session))

    def on_report_created(self, session: Session, payload: dict[str, Any]) -> bool:
        """Keep a traffic report announced by the reports module; False if not ours."""
        category = str(payload.get("category", ""))
        if category not in TRAFFIC_REPORT_CATEGORIES:
            return False
        report_id = str(payload["report_id"])
        if repository.report(session, report_id) is not None:
            return True
        repository.add(
            session,
            TrafficReport(
                report_id=report_id,
                category=category,
                status=str(payload.get("status", "new")),
                lon=float(payload["lon"]),
                lat=float(payload["lat"]),
                ward_code=payload.get("ward_code"),
                fields=dict(payload.get("fields") or {}),
            ),
        )
        return True

    def on_report_status_changed(self, session: Session, payload: dict[str, Any]) -> None:
        """A verified traffic report becomes an incident; a resolved one closes it."""
        report = repository.report(session, str(payload.get("report_id")))
        if report is None:
            return
        new_status = str(payload.get("new_status", ""))
        report.status = new_status
        existing = repository.incident_for_report(session, report.report_id)
        if new_status in VERIFIED_STATUSES and existing is None:
            blocked = int(report.fields.get("blocked_lanes") or 0)
            self.create_incident(
                session,
                data=IncidentCreate(
                    kind=REPORT_KIND.get(report.category, "obstruction"),
                    lon=report.lon,
                    lat=report.lat,
                    delay_s=120 + 60 * blocked,
                    description="",
                ),
                source="report",
                report_id=report.report_id,
            )
        elif new_status in CLOSED_STATUSES and existing is not None and existing.status == "open":
            self.close_incident(session, incident=existing)
        session.flush()

    def reports(self, session: Session, *, limit: int = 50) -> list[TrafficReport]:
        return list(repository.recent_reports(session, limit))


traffic = TrafficService()
