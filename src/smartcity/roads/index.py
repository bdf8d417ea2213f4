"""The active network held in memory: segment geometries in an STRtree for nearest-street
look-ups and map tiles.  Built from the graph artefact, shared by all requests."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree

from smartcity.routing_engine.graph import (
    CAR,
    MOTORBIKE,
    ROAD_CLASSES,
    SEGMENT_BRIDGE,
    SEGMENT_ONEWAY,
    RoadGraph,
)

#: Metres per degree of latitude, and the latitude whose longitude scale we use (HCMC).
_M_PER_DEG_LAT = 110_574.0
_REFERENCE_LAT = 10.78
_M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(_REFERENCE_LAT))


def to_local_metres(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An equirectangular projection good to a few metres across the city."""
    return lon * _M_PER_DEG_LON, lat * _M_PER_DEG_LAT


def from_local_metres(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Back from :func:`to_local_metres` to lon/lat."""
    return x / _M_PER_DEG_LON, y / _M_PER_DEG_LAT


#: The smallest zoom at which a road class is drawn (major roads first).
CLASS_MIN_ZOOM: dict[str, int] = {
    "motorway": 0,
    "motorway_link": 11,
    "trunk": 0,
    "trunk_link": 12,
    "primary": 0,
    "primary_link": 12,
    "secondary": 11,
    "secondary_link": 13,
    "tertiary": 12,
    "tertiary_link": 13,
    "unclassified": 13,
    "residential": 13,
    "living_street": 14,
    "road": 14,
    "service": 15,
    "track": 15,
}


def segment_lines(x: np.ndarray, y: np.ndarray, graph: RoadGraph) -> np.ndarray:
    """One LineString per segment from per-vertex coordinates (lon/lat or projected)."""
    owner = np.repeat(np.arange(graph.segment_count), np.diff(graph.segment_geometry_offsets))
    lines: np.ndarray = shapely.linestrings(x, y, indices=owner)
    return lines


@dataclass(frozen=True)
class NetworkIndex:
    version: str
    graph: RoadGraph
    lines: np.ndarray  # shapely LineStrings in lon/lat, one per segment
    tree: STRtree  # over `lines`
    local_lines: np.ndarray  # the same in local metres, for nearest-distance
    local_tree: STRtree
    segment_min_zoom: np.ndarray  # uint8 per segment
    segment_access: np.ndarray  # uint8 per segment: union of its arcs' access bits

    @classmethod
    def build(cls, version: str, graph: RoadGraph) -> NetworkIndex:
        lon = graph.segment_coords[:, 0]
        lat = graph.segment_coords[:, 1]
        lines = segment_lines(lon, lat, graph)
        local_lines = segment_lines(*to_local_metres(lon, lat), graph)
        min_zoom = np.array(
            [CLASS_MIN_ZOOM.get(ROAD_CLASSES[c], 16) for c in graph.segment_road_class],
            dtype=np.uint8,
        )
        access = np.zeros(graph.segment_count, dtype=np.uint8)
        np.bitwise_or.at(access, graph.arc_segment, graph.arc_access)
        return cls(
            version=version,
            graph=graph,
            lines=lines,
            tree=STRtree(lines),
            local_lines=local_lines,
            local_tree=STRtree(local_lines),
            segment_min_zoom=min_zoom,
            segment_access=access,
        )

    def segments_in_bbox(self, bbox: tuple[float, float, float, float], zoom: int) -> np.ndarray:
        hits: np.ndarray = self.tree.query(shapely.box(*bbox))
        visible: np.ndarray = hits[self.segment_min_zoom[hits] <= zoom]
        return visible

    def nearest_segments(
        self, lon: float, lat: float, *, max_distance_m: float, named_only: bool = False
    ) -> list[tuple[int, float]]:
        """Segments within ``max_distance_m`` of the point, nearest first, with distances."""
        x, y = to_local_metres(np.array([lon]), np.array([lat]))
        point = shapely.points(x[0], y[0])
        hits = self.local_tree.query(point, predicate="dwithin", distance=max_distance_m)
        if named_only:
            hits = np.array([h for h in hits if self.graph.segment_name[h]], dtype=np.int64)
        if len(hits) == 0:
            return []
        distances = shapely.distance(self.local_lines[hits], point)
        order = np.argsort(distances, kind="stable")
        return [(int(hits[i]), float(distances[i])) for i in order]

    def nearest_usable_segment(
        self, lon: float, lat: float, *, access: int, max_distance_m: float
    ) -> tuple[int, float] | None:
        """The nearest segment some vehicle in ``access`` (bits) may use, with its distance.

        Usually the nearest segment of all is usable: one nearest-neighbour query; only when it
        is not (a footway, an expressway for a motorbike) the whole radius is searched.
        """
        x, y = to_local_metres(np.array([lon]), np.array([lat]))
        point = shapely.points(x[0], y[0])
        hits, distances = self.local_tree.query_nearest(
            point, max_distance=max_distance_m, return_distance=True, all_matches=True
        )
        for segment, distance in sorted(
            zip(hits.tolist(), distances.tolist(), strict=True), key=lambda pair: (pair[1], pair[0])
        ):
            if self.segment_access[segment] & access:
                return int(segment), float(distance)
        for segment, distance in self.nearest_segments(lon, lat, max_distance_m=max_distance_m):
            if self.segment_access[segment] & access:
                return segment, distance
        return None

    def segment_properties(self, segment: int) -> dict[str, object]:
        graph = self.graph
        flags = int(graph.segment_flags[segment])
        access = int(self.segment_access[segment])
        return {
            "id": segment,
            "name": graph.segment_name[segment],
            "ref": graph.segment_ref[segment],
            "class": ROAD_CLASSES[int(graph.segment_road_class[segment])],
            "oneway": bool(flags & SEGMENT_ONEWAY),
            "bridge": bool(flags & SEGMENT_BRIDGE),
            "car": bool(access & CAR),
            "motorbike": bool(access & MOTORBIKE),
        }
