"""Live conditions per road segment and the travel-time metric they give each profile.

State is sparse (only segments with data): live speeds from traffic, incidents (closure or
a delay per traversal) and flood depths. :func:`arc_weights_ms` turns it into one weight per
arc in milliseconds, fully vectorised, so the service recomputes all weights (about a
millisecond on the HCMC network) and hands the engine only the arcs that changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from smartcity.routing_engine.customize import INF_WEIGHT
from smartcity.routing_engine.graph import CAR, MOTORBIKE, RoadGraph
from smartcity.routing_engine.profiles import DEFAULT_PROFILES

WeightArray = npt.NDArray[np.int64]

PROFILE_ACCESS_BIT = {"car": CAR, "motorbike": MOTORBIKE}


@dataclass
class Incident:
    segments: npt.NDArray[np.int64]
    closed: bool
    delay_s: float


@dataclass
class LiveState:
    """What a live source (traffic, flood) knows now; returned by its provider on start."""

    network_version: str
    speeds_kmh: dict[int, float] = field(default_factory=dict)
    incidents: dict[str, Incident] = field(default_factory=dict)
    depth_cm: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FloodRule:
    car_limit_cm: float
    motorbike_limit_cm: float
    speed_factor_at_limit: float
    min_speed_kmh: float

    def limit_cm(self, profile: str) -> float:
        return self.car_limit_cm if profile == "car" else self.motorbike_limit_cm


def _segment_ids(keys: Iterable[Any]) -> npt.NDArray[np.int64]:
    return np.fromiter((int(k) for k in keys), dtype=np.int64)


class LiveConditions:
    """The sparse live state of one network version (not thread-safe: the service locks)."""

    def __init__(self, network_version: str, segment_count: int) -> None:
        self.network_version = network_version
        self.segment_count = segment_count
        self.speeds_kmh: dict[int, float] = {}
        self.depth_cm: dict[int, float] = {}
        self.incidents: dict[str, Incident] = {}

    def _valid(self, segment: int) -> bool:
        return 0 <= segment < self.segment_count

    def set_speeds(self, speeds: Mapping[Any, Any]) -> None:
        for key, value in speeds.items():
            segment = int(key)
            if not self._valid(segment):
                continue
            if value is None:
                self.speeds_kmh.pop(segment, None)
            else:
                self.speeds_kmh[segment] = float(value)

    def set_depths(self, depths: Mapping[Any, Any]) -> None:
        for key, value in depths.items():
            segment = int(key)
            if not self._valid(segment):
                continue
            if value is None or float(value) <= 0:
                self.depth_cm.pop(segment, None)
            else:
                self.depth_cm[segment] = float(value)

    def set_incident(
        self,
        incident_id: str,
        segments: Iterable[Any],
        *,
        open_: bool,
        closed: bool,
        delay_s: float,
    ) -> None:
        if not open_:
            self.incidents.pop(incident_id, None)
            return
        ids = _segment_ids(segments)
        ids = ids[(ids >= 0) & (ids < self.segment_count)]
        self.incidents[incident_id] = Incident(ids, closed, max(float(delay_s), 0.0))

    def merge(self, state: LiveState) -> None:
        if state.network_version != self.network_version:
            return
        self.set_speeds(state.speeds_kmh)
        self.set_depths(state.depth_cm)
        for incident_id, incident in state.incidents.items():
            self.set_incident(
                incident_id,
                incident.segments.tolist(),
                open_=True,
                closed=incident.closed,
                delay_s=incident.delay_s,
            )

    def speed_array(self) -> npt.NDArray[np.float64]:
        speeds = np.full(self.segment_count, np.nan)
        if self.speeds_kmh:
            speeds[_segment_ids(self.speeds_kmh.keys())] = np.fromiter(
                self.speeds_kmh.values(), dtype=np.float64
            )
        return speeds

    def depth_array(self) -> npt.NDArray[np.float64]:
        depths = np.zeros(self.segment_count)
        if self.depth_cm:
            depths[_segment_ids(self.depth_cm.keys())] = np.fromiter(
                self.depth_cm.values(), dtype=np.float64
            )
        return depths

    def incident_arrays(self) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
        closed = np.zeros(self.segment_count, dtype=np.bool_)
        delay_s = np.zeros(self.segment_count)
        for incident in self.incidents.values():
            if incident.closed:
                closed[incident.segments] = True
            else:
                np.add.at(delay_s, incident.segments, incident.delay_s)
        return closed, delay_s


def free_flow_speed_kmh(graph: RoadGraph, profile: str) -> npt.NDArray[np.float64]:
    speeds = graph.arc_maxspeed_kmh
    if profile == "motorbike":
        speeds = DEFAULT_PROFILES.motorbike_speed_kmh(speeds)
    return np.maximum(speeds.astype(np.float64), 1.0)


def free_flow_weights_ms(graph: RoadGraph, profile: str) -> WeightArray:
    """Travel time per arc at free-flow speed; closed (INF) where the profile has no access."""
    seconds = graph.arc_length_m.astype(np.float64) / (free_flow_speed_kmh(graph, profile) / 3.6)
    weights = np.maximum(np.rint(seconds * 1000), 1).astype(np.int64)
    weights[(graph.arc_access & PROFILE_ACCESS_BIT[profile]) == 0] = INF_WEIGHT
    return weights


def arc_weights_ms(
    graph: RoadGraph,
    profile: str,
    live: LiveConditions,
    rule: FloodRule,
    *,
    use_speeds: bool,
    use_flood: bool,
) -> WeightArray:
    """Travel time per arc under the live conditions chosen (incidents always apply)."""
    segment = graph.arc_segment
    speed = free_flow_speed_kmh(graph, profile)
    if use_speeds and live.speeds_kmh:
        observed = live.speed_array()[segment]
        has = ~np.isnan(observed)
        speed[has] = np.clip(observed[has], rule.min_speed_kmh, speed[has])
    closed = (graph.arc_access & PROFILE_ACCESS_BIT[profile]) == 0
    if use_flood and live.depth_cm:
        depth = live.depth_array()[segment]
        limit = rule.limit_cm(profile)
        closed |= depth > limit
        wet = (depth > 0) & (depth <= limit)
        speed[wet] *= 1.0 - (1.0 - rule.speed_factor_at_limit) * depth[wet] / limit
    seconds = graph.arc_length_m.astype(np.float64) / (speed / 3.6)
    if live.incidents:
        incident_closed, delay_s = live.incident_arrays()
        closed |= incident_closed[segment]
        seconds += delay_s[segment]
    weights = np.maximum(np.rint(seconds * 1000), 1).astype(np.int64)
    weights[closed] = INF_WEIGHT
    return weights
