"""The road graph shared by the build step and the query engine.

One array per attribute (RoutingKit style), units in the names, dense node ids
``0..n-1`` with ``node_osm_id`` as the map back to OpenStreetMap (sorted
ascending, so ``np.searchsorted`` is the reverse lookup). Arcs are sorted by
tail and indexed by ``first_out`` (CSR).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

import numpy as np

CAR: Final = 1
MOTORBIKE: Final = 2
ALL_VEHICLES: Final = CAR | MOTORBIKE

# Codes for arc_road_class / segment_road_class: the position in this tuple.
ROAD_CLASSES: Final[tuple[str, ...]] = (
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "road",
    "track",
    "path",
    "footway",
    "pedestrian",
    "cycleway",
)
ROAD_CLASS_CODE: Final[dict[str, int]] = {name: code for code, name in enumerate(ROAD_CLASSES)}

SEGMENT_BRIDGE: Final = 1
SEGMENT_TUNNEL: Final = 2
SEGMENT_ONEWAY: Final = 4


class GraphValidationError(ValueError):
    """The arrays of a RoadGraph break the contract (length, dtype or CSR invariant)."""


# Expected dtype and length key of every array field ("n", "n+1", "m", "s", "s+1", "r").
_ARRAY_SPEC: Final[dict[str, tuple[np.dtype[np.generic], str]]] = {
    "node_lon": (np.dtype(np.float64), "n"),
    "node_lat": (np.dtype(np.float64), "n"),
    "node_osm_id": (np.dtype(np.int64), "n"),
    "first_out": (np.dtype(np.int32), "n+1"),
    "tail": (np.dtype(np.int32), "m"),
    "head": (np.dtype(np.int32), "m"),
    "arc_length_m": (np.dtype(np.float32), "m"),
    "arc_segment": (np.dtype(np.int32), "m"),
    "arc_forward": (np.dtype(np.bool_), "m"),
    "arc_access": (np.dtype(np.uint8), "m"),
    "arc_maxspeed_kmh": (np.dtype(np.float32), "m"),
    "arc_road_class": (np.dtype(np.uint8), "m"),
    "segment_osm_way_id": (np.dtype(np.int64), "s"),
    "segment_road_class": (np.dtype(np.uint8), "s"),
    "segment_geometry_offsets": (np.dtype(np.int64), "s+1"),
    "segment_length_m": (np.dtype(np.float32), "s"),
    "segment_flags": (np.dtype(np.uint8), "s"),
    "segment_lanes": (np.dtype(np.uint8), "s"),
    "restriction_from_arc": (np.dtype(np.int32), "r"),
    "restriction_via_node": (np.dtype(np.int32), "r"),
    "restriction_to_arc": (np.dtype(np.int32), "r"),
    "restriction_only": (np.dtype(np.bool_), "r"),
    "restriction_access": (np.dtype(np.uint8), "r"),
}


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """A directed road graph for cars and motorbikes (see the module docstring)."""

    # nodes (routing junctions + segment end points), dense ids 0..n-1
    node_lon: np.ndarray
    node_lat: np.ndarray
    node_osm_id: np.ndarray
    # directed arcs sorted by tail; arcs of node u are first_out[u]:first_out[u+1]
    first_out: np.ndarray
    tail: np.ndarray
    head: np.ndarray
    arc_length_m: np.ndarray
    arc_segment: np.ndarray
    arc_forward: np.ndarray
    arc_access: np.ndarray
    arc_maxspeed_kmh: np.ndarray
    arc_road_class: np.ndarray
    # undirected pieces of OSM ways between junctions
    segment_osm_way_id: np.ndarray
    segment_name: list[str]
    segment_ref: list[str]
    segment_road_class: np.ndarray
    segment_geometry_offsets: np.ndarray
    segment_coords: np.ndarray
    segment_length_m: np.ndarray
    segment_flags: np.ndarray
    segment_lanes: np.ndarray
    # turn restrictions resolved onto arcs; several only_* rows sharing a
    # from_arc and via_node mean "only one of these to_arcs"
    restriction_from_arc: np.ndarray
    restriction_via_node: np.ndarray
    restriction_to_arc: np.ndarray
    restriction_only: np.ndarray
    restriction_access: np.ndarray

    @property
    def node_count(self) -> int:
        return int(self.node_lon.shape[0])

    @property
    def arc_count(self) -> int:
        return int(self.head.shape[0])

    @property
    def segment_count(self) -> int:
        return int(self.segment_osm_way_id.shape[0])

    @property
    def restriction_count(self) -> int:
        return int(self.restriction_from_arc.shape[0])

    def segment_geometry(self, segment: int) -> np.ndarray:
        """The lon/lat polyline (float64[k, 2]) of a segment, in OSM way direction."""
        start = int(self.segment_geometry_offsets[segment])
        end = int(self.segment_geometry_offsets[segment + 1])
        return self.segment_coords[start:end]

    def arc_geometry(self, arc: int) -> np.ndarray:
        """The lon/lat polyline of an arc, in travel direction."""
        coords = self.segment_geometry(int(self.arc_segment[arc]))
        return coords if bool(self.arc_forward[arc]) else coords[::-1]

    def node_ids_for_osm(self, osm_node_ids: np.ndarray) -> np.ndarray:
        """Dense node ids (int32) for OSM node ids; -1 where the OSM node is no graph node."""
        wanted = np.asarray(osm_node_ids, dtype=np.int64)
        position = np.searchsorted(self.node_osm_id, wanted)
        position = np.minimum(position, max(self.node_count - 1, 0))
        if self.node_count == 0:
            return np.full(wanted.shape, -1, dtype=np.int32)
        found = self.node_osm_id[position] == wanted
        return np.where(found, position, -1).astype(np.int32)

    def array_fields(self) -> dict[str, np.ndarray]:
        """Every numpy array of the graph by field name (the lists of strings excluded)."""
        return {
            field.name: getattr(self, field.name)
            for field in fields(self)
            if isinstance(getattr(self, field.name), np.ndarray)
        }

    def validate(self) -> None:
        """Check lengths, dtypes and the CSR/segment invariants; raise GraphValidationError."""
        n, m = self.node_count, self.arc_count
        s, r = self.segment_count, self.restriction_count
        expected_length = {"n": n, "n+1": n + 1, "m": m, "s": s, "s+1": s + 1, "r": r}
        for name, (dtype, length_key) in _ARRAY_SPEC.items():
            array = getattr(self, name)
            if not isinstance(array, np.ndarray):
                raise GraphValidationError(f"{name} is {type(array).__name__}, not a numpy array")
            if array.dtype != dtype:
                raise GraphValidationError(f"{name} has dtype {array.dtype}, expected {dtype}")
            if array.ndim != 1 or array.shape[0] != expected_length[length_key]:
                raise GraphValidationError(
                    f"{name} has shape {array.shape}, expected ({expected_length[length_key]},)"
                )
        for name in ("segment_name", "segment_ref"):
            if len(getattr(self, name)) != s:
                raise GraphValidationError(
                    f"{name} has {len(getattr(self, name))} entries, not {s}"
                )
        coords = self.segment_coords
        if coords.dtype != np.float64 or coords.ndim != 2 or coords.shape[1] != 2:
            raise GraphValidationError(
                f"segment_coords has dtype {coords.dtype} shape {coords.shape}, expected float64[k, 2]"
            )
        self._validate_csr(n, m)
        self._validate_segments(s, coords.shape[0])
        self._validate_restrictions(n, m)

    def _validate_csr(self, n: int, m: int) -> None:
        first_out = self.first_out
        if first_out[0] != 0 or first_out[-1] != m:
            raise GraphValidationError(
                f"first_out must run from 0 to the arc count {m}, got {first_out[0]}..{first_out[-1]}"
            )
        if np.any(np.diff(first_out) < 0):
            raise GraphValidationError("first_out is not non-decreasing")
        if m == 0:
            return
        if (
            np.any(self.tail < 0)
            or np.any(self.tail >= n)
            or np.any(self.head < 0)
            or np.any(self.head >= n)
        ):
            raise GraphValidationError("tail/head hold node ids outside 0..n-1")
        expected_tail = np.repeat(np.arange(n, dtype=np.int32), np.diff(first_out))
        if not np.array_equal(expected_tail, self.tail):
            raise GraphValidationError(
                "tail does not agree with first_out (arcs not sorted by tail)"
            )
        if np.any(self.arc_segment < 0) or np.any(self.arc_segment >= self.segment_count):
            raise GraphValidationError("arc_segment holds segment ids outside 0..s-1")
        if np.any(self.arc_access == 0):
            raise GraphValidationError("an arc is usable by no vehicle (arc_access == 0)")

    def _validate_segments(self, s: int, coord_count: int) -> None:
        offsets = self.segment_geometry_offsets
        if offsets[0] != 0 or offsets[-1] != coord_count:
            raise GraphValidationError(
                f"segment_geometry_offsets must run from 0 to {coord_count}, "
                f"got {offsets[0]}..{offsets[-1]}"
            )
        if s and np.any(np.diff(offsets) < 2):
            raise GraphValidationError("a segment has fewer than two geometry points")

    def _validate_restrictions(self, n: int, m: int) -> None:
        if self.restriction_count == 0:
            return
        from_arc, to_arc = self.restriction_from_arc, self.restriction_to_arc
        via = self.restriction_via_node
        if np.any((from_arc < 0) | (from_arc >= m) | (to_arc < 0) | (to_arc >= m)):
            raise GraphValidationError("a restriction refers to an arc outside 0..m-1")
        if np.any((via < 0) | (via >= n)):
            raise GraphValidationError("a restriction refers to a node outside 0..n-1")
        if np.any(self.head[from_arc] != via) or np.any(self.tail[to_arc] != via):
            raise GraphValidationError("a restriction's arcs do not meet at its via node")
