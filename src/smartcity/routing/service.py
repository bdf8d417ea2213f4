"""Routing rules: one CCH engine per profile, kept current from live events; route queries.

* **Build** once per network version and profile (cached on disk next to the other caches,
  so a restart loads it in milliseconds instead of re-ordering for seconds).
* **Customise**: each profile has metric *variants* keyed by (live speeds?, flood closures?);
  the default (both on) always exists, the others are forked on first use. An event changes
  the sparse live state; every variant recomputes its weights (vectorised) and the engine
  re-customises only the arcs whose weight changed (``Engine.update``).
* **Query**: snap both points onto the nearest usable segment, run the elimination-tree
  query on the variant (or on a per-request fork when avoid polygons close extra arcs),
  then alternatives by the penalty method, steps and notices.

Queries and updates share one lock: the query scratch space and the metric are not
thread-safe, and both take milliseconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from sqlalchemy.orm import Session

from smartcity.config import get_settings
from smartcity.core.events import DomainEvent, EventBus
from smartcity.core.i18n import N_, gettext
from smartcity.roads.index import NetworkIndex, to_local_metres
from smartcity.roads.service import roads as road_service
from smartcity.routing.errors import (
    InvalidPolygon,
    NoRoute,
    PointNotOnNetwork,
    PointOutsideCity,
    PolygonTooLarge,
    SameOriginDestination,
)
from smartcity.routing.guidance import (
    Piece,
    build_steps,
    path_coords,
    pieces_cost_ms,
    pieces_length_m,
    street_of,
)
from smartcity.routing.live import (
    PROFILE_ACCESS_BIT,
    FloodRule,
    LiveConditions,
    LiveState,
    arc_weights_ms,
    free_flow_weights_ms,
)
from smartcity.routing.schemas import (
    AvoidPolygon,
    LineString,
    Notice,
    RouteCollection,
    RouteFeature,
    RouteProperties,
    RouteRequest,
)
from smartcity.routing_engine.customize import INF_WEIGHT
from smartcity.routing_engine.engine import Engine
from smartcity.routing_engine.profiles import PROFILE_VERSION
from smartcity.routing_engine.turns import Restrictions

log = logging.getLogger(__name__)

WeightArray = npt.NDArray[np.int64]
LiveSource = Callable[[Session], LiveState]
Variant = tuple[bool, bool]  # (live speeds, flood closures)
PROFILES = ("motorbike", "car")
#: Margin around the network's bounding box inside which points are "in the city" (degrees).
CITY_MARGIN_DEG = 0.02
#: Alternatives: penalty on the arcs of routes found so far, and what counts as different.
ALTERNATIVE_PENALTY = 1.4
ALTERNATIVE_MAX_STRETCH = 1.5
ALTERNATIVE_MAX_OVERLAP = 0.7
#: Two snapped points closer than this are the same place.
SAME_POINT_M = 5.0


@dataclass(frozen=True)
class Snap:
    lon: float
    lat: float
    segment: int
    fraction: float  # along the segment's geometry (OSM way direction)
    distance_m: float


@dataclass
class Path_:
    cost_ms: int
    pieces: list[Piece]

    def arcs(self) -> list[int]:
        return [p.arc for p in self.pieces]


@dataclass
class ProfileEngines:
    base: Engine
    free_flow_ms: WeightArray
    variants: dict[Variant, Engine] = field(default_factory=dict)


@dataclass
class NetworkRouting:
    version: str
    index: NetworkIndex
    live: LiveConditions
    profiles: dict[str, ProfileEngines]
    bbox: tuple[float, float, float, float]
    segment_arc_first: npt.NDArray[np.int64]
    segment_arcs: npt.NDArray[np.int64]

    def arcs_of(self, segments: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        parts = [
            self.segment_arcs[self.segment_arc_first[s] : self.segment_arc_first[s + 1]]
            for s in segments.tolist()
        ]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def engine_cache_dir() -> Path:
    return get_settings().var_dir / "cache" / "routing"


def flood_rule() -> FloodRule:
    settings = get_settings()
    return FloodRule(
        car_limit_cm=settings.routing_car_flood_limit_cm,
        motorbike_limit_cm=settings.routing_motorbike_flood_limit_cm,
        speed_factor_at_limit=settings.routing_flood_speed_factor_at_limit,
        min_speed_kmh=settings.routing_min_speed_kmh,
    )


def build_engine(index: NetworkIndex, profile: str) -> Engine:
    """The metric-independent CCH of a profile: loaded from the cache, else built and cached."""
    directory = engine_cache_dir()
    path = directory / f"{index.version}-{profile}-{PROFILE_VERSION}.npz"
    if path.is_file():
        try:
            return Engine.load(path)
        except (OSError, ValueError, KeyError):
            log.warning("routing cache %s unreadable; rebuilding", path)
    graph = index.graph
    started = time.perf_counter()
    engine = Engine.build(
        graph.node_count,
        graph.tail,
        graph.head,
        graph.node_lon,
        graph.node_lat,
        Restrictions(
            graph.restriction_from_arc,
            graph.restriction_via_node,
            graph.restriction_to_arc,
            graph.restriction_only,
            graph.restriction_access,
        ),
        graph.arc_access,
        PROFILE_ACCESS_BIT[profile],
    )
    log.info("routing: built %s engine in %.1f s", profile, time.perf_counter() - started)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob(f"*-{profile}-*.npz"):
        if not stale.name.startswith(index.version):
            stale.unlink(missing_ok=True)
    partial = path.with_suffix(".partial.npz")
    engine.save(partial)
    partial.replace(path)
    return engine


class RoutingService:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._build_lock = threading.Lock()
        self._network: NetworkRouting | None = None
        self._pending: LiveState | None = None
        self._sources: dict[str, LiveSource] = {}
        self._subscribed: set[int] = set()

    # --- live state ----------------------------------------------------------------

    def register_live_source(self, name: str, provider: LiveSource) -> None:
        """``provider(session)`` returns what a module knows now; asked when a network loads."""
        self._sources[name] = provider

    def subscribe(self, bus: EventBus) -> None:
        if id(bus) in self._subscribed:
            return
        self._subscribed.add(id(bus))
        bus.subscribe("roads.network_changed", self._on_network_changed)
        bus.subscribe("traffic.speeds_updated", self._on_speeds)
        bus.subscribe("traffic.incident_changed", self._on_incident)
        bus.subscribe("flood.segments_changed", self._on_flood)

    def _on_network_changed(self, event: DomainEvent) -> None:
        with self._lock:
            if self._network is not None and self._network.version != str(
                event.payload.get("network_version")
            ):
                self._network = None

    def _on_speeds(self, event: DomainEvent) -> None:
        self._apply_event(event, lambda live: live.set_speeds(event.payload["speeds_kmh"]))

    def _on_flood(self, event: DomainEvent) -> None:
        if event.payload.get("forecast"):
            return  # routes use the water on the roads now, not the water expected later
        self._apply_event(event, lambda live: live.set_depths(event.payload["depth_cm"]))

    def _on_incident(self, event: DomainEvent) -> None:
        payload = event.payload

        def apply(live: LiveConditions) -> None:
            live.set_incident(
                str(payload["incident_id"]),
                payload.get("segments", []),
                open_=payload.get("status") == "open",
                closed=bool(payload.get("closed")),
                delay_s=float(payload.get("delay_s") or 0),
            )

        self._apply_event(event, apply)

    def _apply_event(self, event: DomainEvent, change: Callable[[LiveConditions], None]) -> None:
        version = str(event.payload.get("network_version"))
        with self._lock:
            network = self._network
            if network is not None and network.version == version:
                change(network.live)
                self._refresh_weights(network)
                return
            # No engine for this version yet: keep it for when it loads.
            if self._pending is None or self._pending.network_version != version:
                self._pending = LiveState(network_version=version)
            holder = LiveConditions(version, 2**31 - 1)
            holder.speeds_kmh = self._pending.speeds_kmh
            holder.depth_cm = self._pending.depth_cm
            holder.incidents = self._pending.incidents
            change(holder)

    def _refresh_weights(self, network: NetworkRouting) -> int:
        """Bring every variant's metric up to the live state; returns arcs changed."""
        rule = flood_rule()
        changed_total = 0
        for profile, engines in network.profiles.items():
            for (use_speeds, use_flood), engine in engines.variants.items():
                weights = arc_weights_ms(
                    network.index.graph,
                    profile,
                    network.live,
                    rule,
                    use_speeds=use_speeds,
                    use_flood=use_flood,
                )
                changed = np.flatnonzero(weights != engine.input_weight_ms)
                if len(changed):
                    engine.update(changed, weights[changed])
                    changed_total += len(changed)
        return changed_total

    # --- engines -------------------------------------------------------------------

    def network(self, session: Session) -> NetworkRouting:
        """The routing state of the active network, built or loaded on first use."""
        index = road_service.index(session)
        with self._lock:
            if self._network is not None and self._network.version == index.version:
                return self._network
        with self._build_lock:
            with self._lock:
                if self._network is not None and self._network.version == index.version:
                    return self._network
            built = self._load(session, index)
            with self._lock:
                self._network = built
                if self._pending is not None:
                    if self._pending.network_version == index.version:
                        built.live.merge(self._pending)
                    self._pending = None
                self._refresh_weights(built)
            return built

    def _load(self, session: Session, index: NetworkIndex) -> NetworkRouting:
        graph = index.graph
        live = LiveConditions(index.version, graph.segment_count)
        for name, provider in self._sources.items():
            try:
                live.merge(provider(session))
            except Exception:
                log.exception("live source %s failed; routing starts without it", name)
        rule = flood_rule()
        profiles: dict[str, ProfileEngines] = {}
        for profile in PROFILES:
            engine = build_engine(index, profile)
            engine.customize(
                arc_weights_ms(graph, profile, live, rule, use_speeds=True, use_flood=True)
            )
            profiles[profile] = ProfileEngines(
                base=engine,
                free_flow_ms=free_flow_weights_ms(graph, profile),
                variants={(True, True): engine},
            )
        order = np.argsort(graph.arc_segment, kind="stable").astype(np.int64)
        first = np.searchsorted(graph.arc_segment[order], np.arange(graph.segment_count + 1))
        return NetworkRouting(
            version=index.version,
            index=index,
            live=live,
            profiles=profiles,
            bbox=(
                float(graph.node_lon.min()) - CITY_MARGIN_DEG,
                float(graph.node_lat.min()) - CITY_MARGIN_DEG,
                float(graph.node_lon.max()) + CITY_MARGIN_DEG,
                float(graph.node_lat.max()) + CITY_MARGIN_DEG,
            ),
            segment_arc_first=first.astype(np.int64),
            segment_arcs=order,
        )

    def variant(self, network: NetworkRouting, profile: str, key: Variant) -> Engine:
        """The engine of one metric variant (call with the lock held)."""
        engines = network.profiles[profile]
        engine = engines.variants.get(key)
        if engine is None:
            engine = engines.base.fork()
            engine.customize(
                arc_weights_ms(
                    network.index.graph,
                    profile,
                    network.live,
                    flood_rule(),
                    use_speeds=key[0],
                    use_flood=key[1],
                )
            )
            engines.variants[key] = engine
        return engine

    def apply_speeds(self, network_version: str, speeds_kmh: dict[int, float]) -> None:
        """Apply live speeds as the ``traffic.speeds_updated`` handler does (bench, tools)."""
        self._on_speeds(
            DomainEvent(
                "traffic.speeds_updated",
                {"network_version": network_version, "speeds_kmh": speeds_kmh},
            )
        )

    # --- requests ------------------------------------------------------------------

    def resolve_point(self, session: Session, value: Any) -> tuple[float, float]:
        if isinstance(value, str):
            found = road_service.geocode(session, query=value)
            return found.lon, found.lat
        lon, lat = value
        return float(lon), float(lat)

    def snap(self, network: NetworkRouting, profile: str, lon: float, lat: float) -> Snap:
        west, south, east, north = network.bbox
        if not (west <= lon <= east and south <= lat <= north):
            raise PointOutsideCity(
                N_("Điểm ({lon}, {lat}) nằm ngoài vùng có bản đồ đường."), lon=lon, lat=lat
            )
        index = network.index
        radius = get_settings().routing_snap_radius_m
        bit = PROFILE_ACCESS_BIT[profile]
        found = index.nearest_usable_segment(lon, lat, access=bit, max_distance_m=radius)
        if found is not None:
            segment, distance = found
            x, y = to_local_metres(np.array([lon]), np.array([lat]))
            fraction = float(
                shapely.line_locate_point(
                    index.local_lines[segment], shapely.points(x[0], y[0]), normalized=True
                )
            )
            on_line = shapely.line_interpolate_point(
                index.lines[segment], fraction, normalized=True
            )
            return Snap(
                lon=float(shapely.get_x(on_line)),
                lat=float(shapely.get_y(on_line)),
                segment=segment,
                fraction=fraction,
                distance_m=distance,
            )
        raise PointNotOnNetwork(
            N_("Không có đường cho {profile} trong vòng {radius} m quanh điểm ({lon}, {lat})."),
            profile=profile,
            radius=int(radius),
            lon=lon,
            lat=lat,
        )

    def polygon_segments(
        self, network: NetworkRouting, polygons: list[AvoidPolygon]
    ) -> npt.NDArray[np.int64]:
        """Segments crossing the avoid polygons, after bounding and validating them."""
        settings = get_settings()
        if not polygons:
            return np.zeros(0, dtype=np.int64)
        if len(polygons) > settings.routing_max_polygons:
            raise PolygonTooLarge(
                N_("Tối đa {limit} vùng cần tránh."), limit=settings.routing_max_polygons
            )
        vertices = sum(len(ring) for polygon in polygons for ring in polygon.coordinates)
        if vertices > settings.routing_max_polygon_vertices:
            raise PolygonTooLarge(
                N_("Vùng cần tránh có {count} đỉnh; tối đa {limit}."),
                count=vertices,
                limit=settings.routing_max_polygon_vertices,
            )
        shapes = []
        area_m2 = 0.0
        for position, polygon in enumerate(polygons):
            rings = polygon.coordinates
            if any(len(ring) < 4 or ring[0] != ring[-1] for ring in rings):
                raise InvalidPolygon(
                    N_("Vùng thứ {number}: mỗi vòng cần ít nhất 4 điểm và phải khép kín."),
                    number=position + 1,
                )
            shape = shapely.Polygon(rings[0], rings[1:])
            if not shape.is_valid:
                raise InvalidPolygon(
                    N_("Vùng thứ {number} không hợp lệ: {reason}."),
                    number=position + 1,
                    reason=shapely.is_valid_reason(shape),
                )
            exterior = np.asarray(rings[0], dtype=np.float64)
            area_m2 += float(shapely.area(shapely.Polygon(np.column_stack(
                to_local_metres(exterior[:, 0], exterior[:, 1])
            ))))  # fmt: skip
            shapes.append(shape)
        if area_m2 / 1e6 > settings.routing_max_avoid_area_km2:
            raise PolygonTooLarge(
                N_("Tổng diện tích vùng cần tránh {area} km² vượt quá {limit} km²."),
                area=round(area_m2 / 1e6, 1),
                limit=settings.routing_max_avoid_area_km2,
            )
        hits = network.index.tree.query(shapes, predicate="intersects")
        return np.unique(hits[1]).astype(np.int64)

    def route(self, session: Session, request: RouteRequest, language: str) -> RouteCollection:
        network = self.network(session)
        profile = request.profile.value
        origin = self.snap(network, profile, *self.resolve_point(session, request.origin))
        destination = self.snap(network, profile, *self.resolve_point(session, request.destination))
        if _distance_m(origin, destination) < SAME_POINT_M:
            raise SameOriginDestination(
                N_("Điểm đi và điểm đến trùng nhau; hãy chọn hai điểm khác nhau.")
            )
        avoid = request.avoid
        blocked = self.polygon_segments(network, avoid.polygons)
        key: Variant = (avoid.jams, avoid.flooded)
        graph = network.index.graph
        with self._lock:
            engine = self._with_blocked(network, self.variant(network, profile, key), blocked)
            weights = engine.input_weight_ms.copy()
            best = self._query(network, engine, origin, destination)
            if best is None:
                raise NoRoute(
                    N_(
                        "Không có đường đi cho {profile} giữa hai điểm này với các điều kiện đã chọn."
                    ),
                    profile=profile,
                )
            paths = [best]
            if request.alternatives:
                paths += self._alternatives(
                    network, engine, origin, destination, best, request.alternatives
                )
            notices = self._notices(
                network, profile, key, blocked, origin, destination, best, language
            )
            live_free = network.profiles[profile].free_flow_ms
        if len(blocked):
            notices.append(
                Notice(
                    kind="area_avoided",
                    message=gettext(
                        N_("Đã tránh {count} vùng bạn chọn."), language, count=len(avoid.polygons)
                    ),
                )
            )
        features = []
        for rank, path in enumerate(paths):
            features.append(
                RouteFeature(
                    geometry=LineString(coordinates=path_coords(graph, path.pieces)),
                    properties=RouteProperties(
                        rank=rank,
                        profile=request.profile,
                        distance_m=round(pieces_length_m(path.pieces, graph), 1),
                        duration_s=round(pieces_cost_ms(path.pieces, weights) / 1000, 1),
                        free_flow_duration_s=round(
                            pieces_cost_ms(path.pieces, live_free) / 1000, 1
                        ),
                        steps=build_steps(graph, path.pieces, weights, language),
                        notices=notices if rank == 0 else [],
                        network_version=network.version,
                        depart_at=request.depart_at,
                    ),
                )
            )
        return RouteCollection(
            features=features,
            snapped={
                "origin": {
                    "coordinates": [origin.lon, origin.lat],
                    "distance_m": round(origin.distance_m, 1),
                },
                "destination": {
                    "coordinates": [destination.lon, destination.lat],
                    "distance_m": round(destination.distance_m, 1),
                },
            },
        )

    def _with_blocked(
        self, network: NetworkRouting, engine: Engine, segments: npt.NDArray[np.int64]
    ) -> Engine:
        if len(segments) == 0:
            return engine
        fork = engine.fork()
        fork.update(network.arcs_of(segments), INF_WEIGHT)
        return fork

    def _query(
        self, network: NetworkRouting, engine: Engine, origin: Snap, destination: Snap
    ) -> Path_ | None:
        """Cheapest path between two snapped points on an engine's current metric."""
        graph = network.index.graph
        weights = engine.input_weight_ms
        sources: list[tuple[int, int]] = []
        source_arcs: dict[int, tuple[int, float]] = {}  # head node -> (arc, start fraction)
        targets: list[tuple[int, int]] = []
        target_arcs: dict[int, tuple[int, float]] = {}  # tail node -> (arc, end fraction)
        for arc in network.arcs_of(np.array([origin.segment])).tolist():
            if weights[arc] >= INF_WEIGHT:
                continue
            start = origin.fraction if graph.arc_forward[arc] else 1.0 - origin.fraction
            node = engine.node_after_arc(arc)
            if node < 0:
                continue
            sources.append((node, round((1.0 - start) * float(weights[arc]))))
            source_arcs.setdefault(int(graph.head[arc]), (arc, start))
        for arc in network.arcs_of(np.array([destination.segment])).tolist():
            if weights[arc] >= INF_WEIGHT or engine.node_after_arc(arc) < 0:
                continue
            end = destination.fraction if graph.arc_forward[arc] else 1.0 - destination.fraction
            tail = int(graph.tail[arc])
            targets.append((tail, round(end * float(weights[arc]))))
            target_arcs.setdefault(tail, (arc, end))
        best: Path_ | None = None
        if sources and targets:
            found = engine.route(sources, targets)
            if found is not None:
                first_arc, start = source_arcs[found.source_node]
                last_arc, end = target_arcs[found.target_node]
                pieces = [
                    Piece(first_arc, start, 1.0),
                    *(Piece(int(a), 0.0, 1.0) for a in found.arcs.tolist()),
                    Piece(last_arc, 0.0, end),
                ]
                best = Path_(found.cost_ms, pieces)
        if origin.segment == destination.segment:
            # Both points on one segment: driving straight along it may beat any detour.
            for arc in network.arcs_of(np.array([origin.segment])).tolist():
                if weights[arc] >= INF_WEIGHT:
                    continue
                forward = bool(graph.arc_forward[arc])
                start = origin.fraction if forward else 1.0 - origin.fraction
                end = destination.fraction if forward else 1.0 - destination.fraction
                if end < start:
                    continue
                cost = round((end - start) * float(weights[arc]))
                if best is None or cost <= best.cost_ms:
                    best = Path_(cost, [Piece(arc, start, end)])
        return best

    def _alternatives(
        self,
        network: NetworkRouting,
        engine: Engine,
        origin: Snap,
        destination: Snap,
        best: Path_,
        wanted: int,
    ) -> list[Path_]:
        graph = network.index.graph
        weights = engine.input_weight_ms
        penalised = engine.fork()
        found: list[Path_] = []
        accepted = [best]
        for _attempt in range(wanted + 2):
            arcs = np.unique(np.array([a for p in accepted for a in p.arcs()], dtype=np.int64))
            current = penalised.input_weight_ms[arcs]
            raised = np.where(
                current >= INF_WEIGHT, current, (current * ALTERNATIVE_PENALTY).astype(np.int64)
            )
            penalised.update(arcs, raised)
            candidate = self._query(network, penalised, origin, destination)
            if candidate is None:
                break
            true_cost = pieces_cost_ms(candidate.pieces, weights)
            if true_cost >= INF_WEIGHT or true_cost > ALTERNATIVE_MAX_STRETCH * best.cost_ms:
                break
            candidate.cost_ms = round(true_cost)
            length = pieces_length_m(candidate.pieces, graph)
            if length <= 0:
                break
            candidate_arcs = set(candidate.arcs())
            overlaps = [
                pieces_length_m([p for p in other.pieces if p.arc in candidate_arcs], graph)
                / length
                for other in [best, *found]
            ]
            accepted.append(candidate)
            if max(overlaps) <= ALTERNATIVE_MAX_OVERLAP:
                found.append(candidate)
                if len(found) >= wanted:
                    break
        return found

    def _notices(
        self,
        network: NetworkRouting,
        profile: str,
        key: Variant,
        blocked: npt.NDArray[np.int64],
        origin: Snap,
        destination: Snap,
        best: Path_,
        language: str,
    ) -> list[Notice]:
        """What the route avoided or goes through (flooded roads, jams), from comparisons."""
        graph = network.index.graph
        live = network.live
        notices: list[Notice] = []
        limit = flood_rule().limit_cm(profile)
        route_segments = {int(graph.arc_segment[a]) for a in best.arcs()}
        if key[1] and live.depth_cm:
            dry = self._with_blocked(
                network, self.variant(network, profile, (key[0], False)), blocked
            )
            unconstrained = self._query(network, dry, origin, destination)
            deepest: dict[str, float] = {}
            if unconstrained is not None:
                for arc in unconstrained.arcs():
                    depth = live.depth_cm.get(int(graph.arc_segment[arc]), 0.0)
                    if depth > limit:
                        name = street_of(graph, arc) or gettext(N_("đường không tên"), language)
                        deepest[name] = max(deepest.get(name, 0.0), depth)
            for name, depth in deepest.items():
                notices.append(
                    Notice(
                        kind="flood_avoided",
                        street=name,
                        depth_cm=round(depth),
                        message=gettext(
                            N_("Đã tránh {street}, ngập {depth} cm"),
                            language,
                            street=name,
                            depth=round(depth),
                        ),
                    )
                )
        wet: dict[str, float] = {}
        for segment in route_segments:
            depth = live.depth_cm.get(segment, 0.0)
            if 0 < depth <= limit or (depth > 0 and not key[1]):
                name = graph.segment_name[segment] or gettext(N_("đường không tên"), language)
                wet[name] = max(wet.get(name, 0.0), depth)
        for name, depth in wet.items():
            notices.append(
                Notice(
                    kind="flood_crossed",
                    street=name,
                    depth_cm=round(depth),
                    message=gettext(
                        N_("Đi qua {street}, ngập {depth} cm: xe đi chậm"),
                        language,
                        street=name,
                        depth=round(depth),
                    ),
                )
            )
        if key[0] and live.speeds_kmh:
            calm = self._with_blocked(
                network, self.variant(network, profile, (False, key[1])), blocked
            )
            free_path = self._query(network, calm, origin, destination)
            free_flow = network.profiles[profile].free_flow_ms
            jammed: list[str] = []
            if free_path is not None:
                current = self.variant(network, profile, key).input_weight_ms
                for arc in free_path.arcs():
                    segment = int(graph.arc_segment[arc])
                    name = street_of(graph, arc)
                    if (
                        segment not in route_segments
                        and name
                        and name not in jammed
                        and current[arc] < INF_WEIGHT
                        and current[arc] > 2 * free_flow[arc]
                    ):
                        jammed.append(name)
            for name in jammed[:3]:
                notices.append(
                    Notice(
                        kind="jam_avoided",
                        street=name,
                        message=gettext(N_("Đã tránh kẹt xe trên {street}"), language, street=name),
                    )
                )
        return notices


def _distance_m(a: Snap, b: Snap) -> float:
    ax, ay = to_local_metres(np.array([a.lon]), np.array([a.lat]))
    bx, by = to_local_metres(np.array([b.lon]), np.array([b.lat]))
    return float(np.hypot(ax[0] - bx[0], ay[0] - by[0]))


routing = RoutingService()


def register_live_source(name: str, provider: LiveSource) -> None:
    """For traffic and flood: how to read their current state from the database."""
    routing.register_live_source(name, provider)
