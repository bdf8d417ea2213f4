"""Traffic alerts: jams detected on the live speeds, incidents and closures, flooding; saved
places and routes (with weekly time windows) and the alerts that hit them.

* **Jams.** After each publication of live speeds, segments whose fresh speed puts them at
  level *heavy* or *standstill* are grouped into stretches (segments sharing a node).  A
  stretch at least ``traffic_jam_min_length_m`` long that has been observed congested for
  ``traffic_jam_min_minutes`` (measured on the probes' own clock, from the first congested
  observation of any of its segments to the latest) becomes a ``jam`` alert.  The alert
  follows the stretch as it grows or shrinks and is cleared when less than half the minimum
  length is still congested.
* **Incidents.** ``traffic.incident_changed`` opens or clears an ``incident`` (or
  ``closure``) alert.
* **Flooding.** ``flood.segments_changed`` (the flood module's contract, docs/events.md):
  stretches with water at least ``FLOOD_ALERT_DEPTH_CM`` deep become ``flood`` alerts.

Every change is published as ``traffic.alert_changed`` (payload: :class:`AlertOut` as JSON)
after the commit; the SSE stream (``endpoints.alert_stream``) forwards the alerts that hit
a subscriber's places and routes.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.config import get_settings
from smartcity.core.clock import to_local, utcnow
from smartcity.core.events import publish_after_commit
from smartcity.core.geo import Box, box_around
from smartcity.core.i18n import N_
from smartcity.roads.index import NetworkIndex, from_local_metres, to_local_metres
from smartcity.traffic.errors import SubscriptionNotFound, SubscriptionRejected
from smartcity.traffic.live import congestion_level
from smartcity.traffic.models import AlertSubscription, Incident, TrafficAlert
from smartcity.traffic.schemas import AlertOut, SubscriptionCreate, SubscriptionOut
from smartcity.traffic.service import NetworkState
from smartcity.traffic.service import traffic as traffic_service

ALERT_EVENT = "traffic.alert_changed"
SUBSCRIPTION_EVENT = "traffic.subscriptions_changed"
#: Water at least this deep on a road makes a flood alert (motorbikes stall around 20 cm).
FLOOD_ALERT_DEPTH_CM = 10.0
#: A route's alerts also include those within this distance of its line (other network
#: versions, alerts without segments).
ROUTE_BUFFER_M = 60.0
#: Sampling step when a drawn route is snapped to road segments.
SNAP_STEP_M = 20.0
SNAP_DISTANCE_M = 35.0
HEAVY = 2  # congestion level code of "heavy" (0 free, 1 slow, 2 heavy, 3 standstill)

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_subscriber_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Owner:
    """Who owns subscriptions: a signed-in user, else an anonymous browser token."""

    user_id: int | None = None
    token_hash: str | None = None

    @property
    def key(self) -> str:
        return f"user:{self.user_id}" if self.user_id is not None else f"anon:{self.token_hash}"


@dataclass
class Stretch:
    segments: list[int]
    severity: str
    speed_kmh: float | None


@dataclass
class _Detector:
    version: str
    since: npt.NDArray[np.float64]  # per segment: first congested observation (epoch), NaN


def stretches(index: NetworkIndex, mask: BoolArray) -> list[IntArray]:
    """Groups of the masked segments that touch each other (share a node)."""
    graph = index.graph
    arcs = np.flatnonzero(mask[graph.arc_segment])
    if len(arcs) == 0:
        return []
    n = graph.node_count
    adjacency = coo_matrix(
        (np.ones(len(arcs)), (graph.tail[arcs], graph.head[arcs])), shape=(n, n)
    ).tocsr()
    _count, labels = connected_components(adjacency, directed=False)
    segment_label = np.full(graph.segment_count, -1, dtype=np.int64)
    segment_label[graph.arc_segment[arcs]] = labels[graph.tail[arcs]]
    segments = np.flatnonzero(segment_label >= 0)
    order = np.argsort(segment_label[segments], kind="stable")
    segments = segments[order]
    bounds = np.flatnonzero(np.diff(segment_label[segments])) + 1
    return [group.astype(np.int64) for group in np.split(segments, bounds)]


def _in_window(windows: Sequence[dict[str, Any]], moment: datetime) -> bool:
    """True when ``moment`` (Ho Chi Minh City time) falls in one of the weekly windows;
    no windows = always.  A window whose end is before its start runs past midnight."""
    if not windows:
        return True
    local = to_local(moment)
    minute = local.hour * 60 + local.minute
    for window in windows:
        start = _minutes(str(window["start"]))
        end = _minutes(str(window["end"]))
        days = set(window.get("days") or range(7))
        if start <= end:
            if local.weekday() in days and start <= minute < end:
                return True
        else:  # overnight: the part after midnight belongs to the day the window started
            if local.weekday() in days and minute >= start:
                return True
            if (local.weekday() - 1) % 7 in days and minute < end:
                return True
    return False


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


class AlertService:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._detector: _Detector | None = None
        self._flood: tuple[str, npt.NDArray[np.float64]] | None = None

    # --- building alerts ----------------------------------------------------------------

    def _geometry(self, index: NetworkIndex, segments: Sequence[int]) -> dict[str, Any]:
        lines = index.lines[np.asarray(segments, dtype=np.int64)]
        west, south, east, north = (float(v) for v in shapely.total_bounds(lines))
        lengths = index.graph.segment_length_m[np.asarray(segments, dtype=np.int64)]
        centre = shapely.points((west + east) / 2, (south + north) / 2)
        nearest = int(np.argmin(shapely.distance(lines, centre)))
        middle = shapely.line_interpolate_point(lines[nearest], 0.5, normalized=True)
        names: dict[str, float] = {}
        for segment, length in zip(segments, lengths.tolist(), strict=True):
            name = index.graph.segment_name[segment]
            if name:
                names[name] = names.get(name, 0.0) + length
        return {
            "lon": round(float(shapely.get_x(middle)), 6),
            "lat": round(float(shapely.get_y(middle)), 6),
            "min_lon": west,
            "min_lat": south,
            "max_lon": east,
            "max_lat": north,
            "length_m": round(float(lengths.sum()), 1),
            "road_name": max(names, key=lambda k: names[k])[:200] if names else "",
        }

    def _publish(self, session: Session, alert: TrafficAlert) -> None:
        session.flush()
        publish_after_commit(
            session, ALERT_EVENT, **AlertOut.model_validate(alert).model_dump(mode="json")
        )

    def _reconcile(
        self,
        session: Session,
        index: NetworkIndex,
        kind: str,
        found: list[Stretch],
        still: Callable[[TrafficAlert], bool],
    ) -> list[TrafficAlert]:
        """Make the active alerts of ``kind`` follow the stretches found now: update the
        overlapping one, open new ones, clear those for which ``still`` is False."""
        active = list(
            session.scalars(
                select(TrafficAlert).where(
                    TrafficAlert.kind == kind,
                    TrafficAlert.status == "active",
                    TrafficAlert.network_version == index.version,
                )
            )
        )
        changed: list[TrafficAlert] = []
        claimed: set[int] = set()
        for stretch in found:
            wanted = set(stretch.segments)
            best, overlap = None, 0
            for alert in active:
                common = len(wanted & set(alert.segments))
                if alert.id not in claimed and common > overlap:
                    best, overlap = alert, common
            if best is None:
                alert = TrafficAlert(
                    kind=kind,
                    severity=stretch.severity,
                    status="active",
                    network_version=index.version,
                    segments=sorted(wanted),
                    speed_kmh=stretch.speed_kmh,
                    started_at=utcnow(),
                    **self._geometry(index, stretch.segments),
                )
                session.add(alert)
                changed.append(alert)
                continue
            claimed.add(best.id)
            if set(best.segments) != wanted or best.severity != stretch.severity:
                best.segments = sorted(wanted)
                best.severity = stretch.severity
                best.speed_kmh = stretch.speed_kmh
                for key, value in self._geometry(index, stretch.segments).items():
                    setattr(best, key, value)
                changed.append(best)
        for alert in active:
            if alert.id not in claimed and not still(alert):
                alert.status = "cleared"
                alert.cleared_at = utcnow()
                changed.append(alert)
        for alert in changed:
            self._publish(session, alert)
        return changed

    # --- jams -----------------------------------------------------------------------------

    def detect_jams(self, session: Session, *, now: float | None = None) -> list[TrafficAlert]:
        """Open, update and clear jam alerts from the live speeds; returns what changed."""
        settings = get_settings()
        state = traffic_service.state(session)
        now = time.time() if now is None else now
        live = state.live
        with live.lock:
            speed = live.speed.copy()
            updated = live.updated.copy()
        fresh = ~np.isnan(speed) & (now - updated <= live.window_s)
        ratio = np.where(fresh, speed / state.free_flow_kmh, 1.0)
        level = congestion_level(ratio, settings.traffic_level_thresholds)
        congested = fresh & (level >= HEAVY)
        with self._lock:
            detector = self._detector
            if detector is None or detector.version != state.version:
                detector = _Detector(state.version, np.full(len(speed), np.nan))
                self._detector = detector
            detector.since[~congested] = np.nan
            newly = congested & np.isnan(detector.since)
            detector.since[newly] = updated[newly]
            since = detector.since.copy()
        lengths = state.index.graph.segment_length_m
        found: list[Stretch] = []
        for group in stretches(state.index, congested):
            length = float(lengths[group].sum())
            observed_s = float(updated[group].max() - np.nanmin(since[group]))
            if length < settings.traffic_jam_min_length_m:
                continue
            if observed_s < settings.traffic_jam_min_minutes * 60:
                continue
            weights = lengths[group]
            mean_speed = float(np.average(speed[group], weights=weights))
            mean_level = float(np.average(level[group], weights=weights))
            found.append(
                Stretch(
                    segments=group.tolist(),
                    severity="standstill" if mean_level >= 2.5 else "heavy",
                    speed_kmh=round(mean_speed, 1),
                )
            )
        half = settings.traffic_jam_min_length_m / 2

        def still_jammed(alert: TrafficAlert) -> bool:
            ids = np.asarray(alert.segments, dtype=np.int64)
            return bool(lengths[ids[congested[ids]]].sum() >= half)

        return self._reconcile(session, state.index, "jam", found, still_jammed)

    # --- incidents and flooding -------------------------------------------------------------

    def on_incident_changed(self, session: Session, payload: dict[str, Any]) -> None:
        incident = session.get(Incident, int(payload["incident_id"]))
        existing = session.scalars(
            select(TrafficAlert).where(
                TrafficAlert.incident_id == int(payload["incident_id"]),
                TrafficAlert.status == "active",
            )
        ).first()
        if incident is None or incident.status != "open":
            if existing is not None:
                existing.status = "cleared"
                existing.cleared_at = utcnow()
                self._publish(session, existing)
            return
        state = traffic_service.state(session)
        segments = [s for s in incident.segments if 0 <= s < state.index.graph.segment_count]
        if segments and incident.network_version == state.version:
            geometry = self._geometry(state.index, segments)
        else:
            geometry = {
                "lon": incident.lon, "lat": incident.lat, "min_lon": incident.lon,
                "min_lat": incident.lat, "max_lon": incident.lon, "max_lat": incident.lat,
                "length_m": 0.0, "road_name": "",
            }  # fmt: skip
        geometry["lon"], geometry["lat"] = incident.lon, incident.lat
        alert = existing or TrafficAlert(
            status="active", incident_id=incident.id, started_at=incident.created_at
        )
        alert.kind = "closure" if incident.closed else "incident"
        alert.severity = "closed" if incident.closed else incident.kind
        alert.network_version = incident.network_version
        alert.segments = segments
        alert.speed_kmh = None
        for key, value in geometry.items():
            setattr(alert, key, value)
        if existing is None:
            session.add(alert)
        self._publish(session, alert)

    def on_flood_changed(self, session: Session, payload: dict[str, Any]) -> list[TrafficAlert]:
        """Flood alerts from ``flood.segments_changed`` (observed depths, not forecasts)."""
        if payload.get("forecast"):
            return []
        state = traffic_service.state(session)
        if payload.get("network_version") != state.version:
            return []
        count = state.index.graph.segment_count
        depth = self._flood_depth(state)
        for key, value in dict(payload.get("depth_cm") or {}).items():
            segment = int(key)
            if 0 <= segment < count:
                depth[segment] = float(value)
        wet = depth >= FLOOD_ALERT_DEPTH_CM
        found = [
            Stretch(
                segments=group.tolist(),
                severity="deep" if float(depth[group].max()) >= 30 else "shallow",
                speed_kmh=None,
            )
            for group in stretches(state.index, wet)
        ]
        return self._reconcile(
            session,
            state.index,
            "flood",
            found,
            lambda alert: bool(wet[np.asarray(alert.segments, dtype=np.int64)].any()),
        )

    def _flood_depth(self, state: NetworkState) -> npt.NDArray[np.float64]:
        """Last known water depth per segment (cm) for the active network."""
        with self._lock:
            if self._flood is None or self._flood[0] != state.version:
                self._flood = (state.version, np.zeros(state.index.graph.segment_count))
            return self._flood[1]

    # --- reading --------------------------------------------------------------------------

    def active(
        self,
        session: Session,
        *,
        bbox: tuple[float, float, float, float] | None = None,
        near: tuple[float, float, float] | None = None,
        limit: int = 200,
    ) -> list[TrafficAlert]:
        query = select(TrafficAlert).where(TrafficAlert.status == "active")
        if near is not None:
            bbox = box_around(*near)
        if bbox is not None:
            west, south, east, north = bbox
            query = query.where(
                TrafficAlert.max_lon >= west,
                TrafficAlert.min_lon <= east,
                TrafficAlert.max_lat >= south,
                TrafficAlert.min_lat <= north,
            )
        alerts = list(session.scalars(query.order_by(TrafficAlert.id.desc()).limit(limit)))
        if near is not None:
            lon, lat, radius = near
            index = traffic_service.state(session).index
            alerts = [a for a in alerts if _distance_m(index, a, lon, lat) <= radius]
        return alerts

    # --- subscriptions ----------------------------------------------------------------------

    def subscribe(
        self, session: Session, *, owner: Owner, data: SubscriptionCreate
    ) -> AlertSubscription:
        index = traffic_service.state(session).index
        count = index.graph.segment_count
        coordinates = [[float(c[0]), float(c[1])] for c in data.coordinates]
        segments: list[int] = []
        if data.kind == "route":
            if data.segments:
                bad = [s for s in data.segments if not 0 <= s < count]
                if bad:
                    raise SubscriptionRejected(
                        N_("Không có đoạn đường số {segments}."),
                        segments=", ".join(map(str, bad[:10])),
                    )
                segments = list(dict.fromkeys(data.segments))
                if not coordinates:
                    coordinates = _route_coordinates(index, segments)
            else:
                segments = snap_route(index, coordinates)
                if not segments:
                    raise SubscriptionRejected(
                        N_("Lộ trình không đi qua con đường nào trên bản đồ.")
                    )
        # a route is hit through its segments too, which may lie off its drawn line
        shape = coordinates + _route_coordinates(index, segments)
        west, south, east, north = reach_box(data.kind, shape, data.radius_m)
        subscription = AlertSubscription(
            user_id=owner.user_id,
            owner_token_hash=owner.token_hash if owner.user_id is None else None,
            name=" ".join(data.name.split()),
            kind=data.kind,
            network_version=index.version,
            segments=segments,
            coordinates=coordinates,
            radius_m=data.radius_m,
            windows=[w.model_dump() for w in data.windows],
            min_lon=west,
            min_lat=south,
            max_lon=east,
            max_lat=north,
        )
        session.add(subscription)
        session.flush()
        publish_after_commit(session, SUBSCRIPTION_EVENT, owner=owner.key)
        return subscription

    def subscriptions(self, session: Session, owner: Owner) -> list[AlertSubscription]:
        query = select(AlertSubscription).order_by(AlertSubscription.id)
        if owner.user_id is not None:
            query = query.where(AlertSubscription.user_id == owner.user_id)
        elif owner.token_hash is not None:
            query = query.where(AlertSubscription.owner_token_hash == owner.token_hash)
        else:
            return []
        return list(session.scalars(query))

    def unsubscribe(self, session: Session, *, owner: Owner, subscription_id: int) -> None:
        found = next(
            (s for s in self.subscriptions(session, owner) if s.id == subscription_id), None
        )
        if found is None:
            raise SubscriptionNotFound(
                N_("Không có lộ trình, địa điểm đã lưu số {subscription_id}."),
                subscription_id=subscription_id,
            )
        session.delete(found)
        session.flush()
        publish_after_commit(session, SUBSCRIPTION_EVENT, owner=owner.key)

    def matching(
        self,
        index: NetworkIndex,
        subscriptions: Iterable[SubscriptionOut],
        alert: AlertOut,
        *,
        at: datetime | None = None,
    ) -> list[int]:
        """Ids of the subscriptions ``alert`` hits now (in their time windows)."""
        at = at or utcnow()
        hits = []
        for sub in subscriptions:
            if not _in_window([w.model_dump() for w in sub.windows], at):
                continue
            same_network = alert.network_version == sub.network_version
            if sub.kind == "route" and same_network and set(alert.segments) & set(sub.segments):
                hits.append(sub.id)
                continue
            if _subscription_distance_m(index, sub, alert) <= _reach_m(sub.kind, sub.radius_m):
                hits.append(sub.id)
        return hits


def reach_box(kind: str, shape: Sequence[Sequence[float]], radius_m: float) -> Box:
    """The box outside which no alert can hit a saved place or route: the points of its
    shape (for a route, its line and its segments) grown by its reach, in the local metres
    `matching` measures in."""
    x, y = to_local_metres(np.array([p[0] for p in shape]), np.array([p[1] for p in shape]))
    reach = _reach_m(kind, radius_m)
    (west, east), (south, north) = from_local_metres(
        np.array([x.min() - reach, x.max() + reach]), np.array([y.min() - reach, y.max() + reach])
    )
    return (float(west), float(south), float(east), float(north))


def _reach_m(kind: str, radius_m: float) -> float:
    """How far from a saved place or route an alert still hits it."""
    return radius_m if kind == "place" else max(radius_m, ROUTE_BUFFER_M)


def snap_route(index: NetworkIndex, coordinates: Sequence[Sequence[float]]) -> list[int]:
    """Road segments along a drawn line: sample every few metres, keep each sample's nearest
    segment (in order, without repeats)."""
    lon = np.array([c[0] for c in coordinates], dtype=np.float64)
    lat = np.array([c[1] for c in coordinates], dtype=np.float64)
    x, y = to_local_metres(lon, lat)
    line = shapely.linestrings(x, y)
    length = float(shapely.length(line))
    steps = max(int(length // SNAP_STEP_M), 1)
    samples = shapely.line_interpolate_point(line, np.linspace(0.0, length, steps + 1))
    found: list[int] = []
    for point in samples:
        hits = index.local_tree.query(point, predicate="dwithin", distance=SNAP_DISTANCE_M)
        if len(hits) == 0:
            continue
        nearest = int(hits[int(np.argmin(shapely.distance(index.local_lines[hits], point)))])
        if not found or found[-1] != nearest:
            found.append(nearest)
    return list(dict.fromkeys(found))


def _route_coordinates(index: NetworkIndex, segments: Sequence[int]) -> list[list[float]]:
    coords: list[list[float]] = []
    for segment in segments:
        for lon, lat in index.graph.segment_geometry(segment).tolist():
            coords.append([round(lon, 6), round(lat, 6)])
    return coords


def _alert_geometry_m(index: NetworkIndex, alert: AlertOut | TrafficAlert) -> Any:
    if alert.segments and alert.network_version == index.version:
        ids = np.asarray(alert.segments, dtype=np.int64)
        ids = ids[(ids >= 0) & (ids < index.graph.segment_count)]
        if len(ids):
            return shapely.union_all(index.local_lines[ids])
    x, y = to_local_metres(np.array([alert.lon]), np.array([alert.lat]))
    return shapely.points(float(x[0]), float(y[0]))


def _distance_m(index: NetworkIndex, alert: TrafficAlert, lon: float, lat: float) -> float:
    x, y = to_local_metres(np.array([lon]), np.array([lat]))
    point = shapely.points(float(x[0]), float(y[0]))
    return float(shapely.distance(_alert_geometry_m(index, alert), point))


def _subscription_distance_m(index: NetworkIndex, sub: SubscriptionOut, alert: AlertOut) -> float:
    if not sub.coordinates:
        return float("inf")
    lon = np.array([c[0] for c in sub.coordinates])
    lat = np.array([c[1] for c in sub.coordinates])
    x, y = to_local_metres(lon, lat)
    shape = shapely.points(x[0], y[0]) if len(x) == 1 else shapely.linestrings(x, y)
    return float(shapely.distance(_alert_geometry_m(index, alert), shape))


alerts = AlertService()
