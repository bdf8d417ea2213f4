"""Build a RoadGraph from decoded OSM: split ways at junctions, make arcs, resolve restrictions.

A *junction* is a node shared by two or more kept ways, the end of a way, a
node a way passes twice, or the via node of a turn restriction. Every kept way
is cut at its junctions into *segments* (exact OSM geometry, haversine length);
each segment yields one arc per direction some vehicle may travel. A segment
that would start and end at the same node (a closed way touching the network
once) is cut again at its middle node, so the graph has no self-loops.

Command line (used for the measurements in the build report)::

    python -m smartcity.routing_engine.build city.osm.pbf [artefact-dir]
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np

from smartcity.routing_engine.graph import (
    CAR,
    MOTORBIKE,
    ROAD_CLASS_CODE,
    RoadGraph,
)
from smartcity.routing_engine.osm import DecodedOsm, OsmRestriction, decode_osm
from smartcity.routing_engine.profiles import (
    DEFAULT_PROFILES,
    ProfileSet,
    WayInterpretation,
    restriction_applies_to,
)

EARTH_RADIUS_M: Final = 6_371_008.8  # IUGG mean radius

type _ArcsAt = Callable[[int], np.ndarray]


class GraphBuildError(Exception):
    """The decoded data yields no usable graph."""


@dataclass(frozen=True)
class BuildStats:
    nodes: int
    arcs: int
    car_arcs: int
    motorbike_arcs: int
    segments: int
    length_km: float
    ways_kept: int
    ways_skipped: dict[str, int]
    loops_split: int
    restrictions_resolved: int  # relations that produced at least one arc restriction
    restriction_rows: int
    restrictions_skipped: dict[str, int]

    def summary(self) -> str:
        skipped_ways = ", ".join(f"{reason}: {n}" for reason, n in _top(self.ways_skipped))
        skipped_restrictions = ", ".join(
            f"{reason}: {n}" for reason, n in _top(self.restrictions_skipped)
        )
        return (
            f"nodes {self.nodes:,} · arcs {self.arcs:,} (car {self.car_arcs:,}, motorbike "
            f"{self.motorbike_arcs:,}) · segments {self.segments:,} · {self.length_km:,.0f} km\n"
            f"ways kept {self.ways_kept:,}; skipped {sum(self.ways_skipped.values()):,} "
            f"({skipped_ways})\n"
            f"restrictions resolved {self.restrictions_resolved} → {self.restriction_rows} arc "
            f"pairs; skipped {sum(self.restrictions_skipped.values())} ({skipped_restrictions})"
        )


def _top(counts: dict[str, int], limit: int = 8) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: -item[1])[:limit]


@dataclass(frozen=True, eq=False)
class BuildResult:
    graph: RoadGraph
    stats: BuildStats
    decode_seconds: float = 0.0
    build_seconds: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)


def haversine_m(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Great-circle distances in metres (float64), element-wise."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    half_dphi = (phi2 - phi1) / 2.0
    half_dlambda = np.radians(lon2 - lon1) / 2.0
    a = np.sin(half_dphi) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(half_dlambda) ** 2
    distance: np.ndarray = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    return distance


def _concat_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Indices start[0]..start[0]+len[0]-1, start[1]…, as one int64 array."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    run_begin = np.zeros(lengths.shape[0], dtype=np.int64)
    np.cumsum(lengths[:-1], out=run_begin[1:])
    return np.repeat(starts - run_begin, lengths) + np.arange(total, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class _KeptWays:
    """Way-level attributes of the kept ways (index = kept way number)."""

    osm_way_id: np.ndarray
    forward_access: np.ndarray
    backward_access: np.ndarray
    maxspeed_kmh: np.ndarray
    road_class: np.ndarray
    flags: np.ndarray
    lanes: np.ndarray
    name: list[str]
    ref: list[str]


def _interpret_ways(
    decoded: DecodedOsm, profiles: ProfileSet
) -> tuple[np.ndarray, list[WayInterpretation], Counter[str]]:
    kept: list[int] = []
    interpretations: list[WayInterpretation] = []
    skipped: Counter[str] = Counter()
    for way, tags in enumerate(decoded.ways.tags):
        interpretation = profiles.interpret_way(tags)
        if interpretation.skip_reason is not None:
            skipped[interpretation.skip_reason] += 1
            continue
        kept.append(way)
        interpretations.append(interpretation)
    return np.asarray(kept, dtype=np.int64), interpretations, skipped


def build_graph_with_stats(
    decoded: DecodedOsm, profiles: ProfileSet = DEFAULT_PROFILES
) -> BuildResult:
    """Build the graph and report what was kept, split and skipped."""
    started = time.perf_counter()
    ways = decoded.ways
    kept, interpretations, ways_skipped = _interpret_ways(decoded, profiles)
    if kept.shape[0] == 0:
        raise GraphBuildError(
            f"{decoded.source_path.name}: no way is usable by car or motorbike "
            f"({sum(ways_skipped.values())} highway ways skipped)"
        )

    # Node references of the kept ways, way after way.
    ref_lengths = ways.node_offsets[kept + 1] - ways.node_offsets[kept]
    ref_index = _concat_ranges(ways.node_offsets[kept], ref_lengths)
    ref_way = np.repeat(np.arange(kept.shape[0], dtype=np.int64), ref_lengths)
    ref_node = ways.node_id[ref_index]
    ref_lon = ways.node_lon[ref_index]
    ref_lat = ways.node_lat[ref_index]

    # A node repeated straight after itself is a mapping slip, not geometry.
    repeated = np.zeros(ref_node.shape[0], dtype=bool)
    repeated[1:] = (ref_node[1:] == ref_node[:-1]) & (ref_way[1:] == ref_way[:-1])
    if repeated.any():
        keep_ref = ~repeated
        ref_way, ref_node = ref_way[keep_ref], ref_node[keep_ref]
        ref_lon, ref_lat = ref_lon[keep_ref], ref_lat[keep_ref]
    refs_per_way = np.bincount(ref_way, minlength=kept.shape[0])
    degenerate = refs_per_way < 2
    if degenerate.any():
        ways_skipped["fewer than two distinct nodes"] += int(degenerate.sum())
        keep_ref = ~degenerate[ref_way]
        survivors = np.flatnonzero(~degenerate)
        renumber = np.full(kept.shape[0], -1, dtype=np.int64)
        renumber[survivors] = np.arange(survivors.shape[0])
        ref_way = renumber[ref_way[keep_ref]]
        ref_node, ref_lon, ref_lat = ref_node[keep_ref], ref_lon[keep_ref], ref_lat[keep_ref]
        kept = kept[survivors]
        interpretations = [interpretations[int(i)] for i in survivors]

    kept_ways = _kept_way_attributes(decoded, kept, interpretations)

    # Junctions: way ends, nodes referenced twice or more, restriction via nodes.
    ref_count = ref_node.shape[0]
    is_junction = np.zeros(ref_count, dtype=bool)
    way_first_ref = np.flatnonzero(np.r_[True, ref_way[1:] != ref_way[:-1]])
    way_last_ref = np.r_[way_first_ref[1:] - 1, ref_count - 1]
    is_junction[way_first_ref] = True
    is_junction[way_last_ref] = True
    _, node_inverse, node_uses = np.unique(ref_node, return_inverse=True, return_counts=True)
    is_junction |= node_uses[node_inverse] >= 2
    via_osm_ids = _restriction_via_nodes(decoded.restrictions)
    if via_osm_ids.shape[0]:
        is_junction |= np.isin(ref_node, via_osm_ids)

    segment_start, segment_end = _segments(is_junction, ref_way)
    loops = ref_node[segment_start] == ref_node[segment_end]
    loops_split = int(loops.sum())
    if loops_split:
        is_junction[(segment_start[loops] + segment_end[loops]) // 2] = True
        segment_start, segment_end = _segments(is_junction, ref_way)

    # Dense node ids, sorted by OSM id: node_osm_id is the IdMap.
    junction_refs = np.flatnonzero(is_junction)
    node_osm_id, first_ref = np.unique(ref_node[junction_refs], return_index=True)
    node_lon = ref_lon[junction_refs[first_ref]]
    node_lat = ref_lat[junction_refs[first_ref]]
    segment_tail = np.searchsorted(node_osm_id, ref_node[segment_start]).astype(np.int32)
    segment_head = np.searchsorted(node_osm_id, ref_node[segment_end]).astype(np.int32)

    # Geometry and length, junction to junction.
    coord_lengths = segment_end - segment_start + 1
    geometry_offsets = np.zeros(segment_start.shape[0] + 1, dtype=np.int64)
    np.cumsum(coord_lengths, out=geometry_offsets[1:])
    coord_index = _concat_ranges(segment_start, coord_lengths)
    segment_coords = np.column_stack((ref_lon[coord_index], ref_lat[coord_index]))
    step_m = haversine_m(ref_lon[:-1], ref_lat[:-1], ref_lon[1:], ref_lat[1:])
    distance_along = np.concatenate(([0.0], np.cumsum(step_m)))
    segment_length_m = (distance_along[segment_end] - distance_along[segment_start]).astype(
        np.float32
    )

    segment_way = ref_way[segment_start]
    forward_access = kept_ways.forward_access[segment_way]
    backward_access = kept_ways.backward_access[segment_way]
    forward_segments = np.flatnonzero(forward_access)
    backward_segments = np.flatnonzero(backward_access)
    arc_segment = np.concatenate((forward_segments, backward_segments)).astype(np.int32)
    arc_forward = np.concatenate(
        (np.ones(forward_segments.shape[0], bool), np.zeros(backward_segments.shape[0], bool))
    )
    tail = np.where(arc_forward, segment_tail[arc_segment], segment_head[arc_segment])
    head = np.where(arc_forward, segment_head[arc_segment], segment_tail[arc_segment])
    arc_access = np.where(
        arc_forward, forward_access[arc_segment], backward_access[arc_segment]
    ).astype(np.uint8)
    by_tail = np.argsort(tail, kind="stable")
    tail, head = tail[by_tail].astype(np.int32), head[by_tail].astype(np.int32)
    arc_segment, arc_forward, arc_access = (
        arc_segment[by_tail],
        arc_forward[by_tail],
        arc_access[by_tail],
    )
    node_count = node_osm_id.shape[0]
    first_out = np.zeros(node_count + 1, dtype=np.int32)
    np.cumsum(np.bincount(tail, minlength=node_count), out=first_out[1:])

    restriction_arrays, resolved, restrictions_skipped = _resolve_restrictions(
        decoded.restrictions,
        node_osm_id=node_osm_id,
        first_out=first_out,
        head=head,
        arc_segment=arc_segment,
        arc_access=arc_access,
        segment_osm_way_id=kept_ways.osm_way_id[segment_way],
    )

    graph = RoadGraph(
        node_lon=node_lon.astype(np.float64),
        node_lat=node_lat.astype(np.float64),
        node_osm_id=node_osm_id.astype(np.int64),
        first_out=first_out,
        tail=tail,
        head=head,
        arc_length_m=segment_length_m[arc_segment],
        arc_segment=arc_segment,
        arc_forward=arc_forward,
        arc_access=arc_access,
        arc_maxspeed_kmh=kept_ways.maxspeed_kmh[segment_way][arc_segment],
        arc_road_class=kept_ways.road_class[segment_way][arc_segment],
        segment_osm_way_id=kept_ways.osm_way_id[segment_way],
        segment_name=[kept_ways.name[int(w)] for w in segment_way],
        segment_ref=[kept_ways.ref[int(w)] for w in segment_way],
        segment_road_class=kept_ways.road_class[segment_way],
        segment_geometry_offsets=geometry_offsets,
        segment_coords=segment_coords,
        segment_length_m=segment_length_m,
        segment_flags=kept_ways.flags[segment_way],
        segment_lanes=kept_ways.lanes[segment_way],
        **restriction_arrays,
    )
    graph.validate()
    stats = BuildStats(
        nodes=graph.node_count,
        arcs=graph.arc_count,
        car_arcs=int(np.count_nonzero(arc_access & CAR)),
        motorbike_arcs=int(np.count_nonzero(arc_access & MOTORBIKE)),
        segments=graph.segment_count,
        length_km=float(segment_length_m.sum(dtype=np.float64) / 1000.0),
        ways_kept=int(kept.shape[0]),
        ways_skipped=dict(ways_skipped),
        loops_split=loops_split,
        restrictions_resolved=resolved,
        restriction_rows=graph.restriction_count,
        restrictions_skipped=dict(restrictions_skipped),
    )
    return BuildResult(graph, stats, build_seconds=time.perf_counter() - started)


def build_graph(decoded: DecodedOsm, profiles: ProfileSet = DEFAULT_PROFILES) -> RoadGraph:
    """The RoadGraph of the decoded OSM data for the vehicles of ``profiles``."""
    return build_graph_with_stats(decoded, profiles).graph


def build_from_file(
    path: str | Path,
    profiles: ProfileSet = DEFAULT_PROFILES,
    *,
    allow_missing_nodes: bool = False,
) -> BuildResult:
    """Decode an OSM file and build its graph, timing both steps."""
    started = time.perf_counter()
    decoded = decode_osm(path, allow_missing_nodes=allow_missing_nodes)
    decoded_at = time.perf_counter()
    result = build_graph_with_stats(decoded, profiles)
    return BuildResult(
        result.graph,
        result.stats,
        decode_seconds=decoded_at - started,
        build_seconds=result.build_seconds,
        extra={"decode_stats": decoded.stats},
    )


def _kept_way_attributes(
    decoded: DecodedOsm, kept: np.ndarray, interpretations: list[WayInterpretation]
) -> _KeptWays:
    tags = [decoded.ways.tags[int(w)] for w in kept]
    return _KeptWays(
        osm_way_id=decoded.ways.way_id[kept],
        forward_access=np.asarray([i.forward_access for i in interpretations], dtype=np.uint8),
        backward_access=np.asarray([i.backward_access for i in interpretations], dtype=np.uint8),
        maxspeed_kmh=np.asarray([i.maxspeed_kmh for i in interpretations], dtype=np.float32),
        road_class=np.asarray(
            [ROAD_CLASS_CODE[i.road_class] for i in interpretations], dtype=np.uint8
        ),
        flags=np.asarray([i.flags for i in interpretations], dtype=np.uint8),
        lanes=np.asarray([i.lanes for i in interpretations], dtype=np.uint8),
        name=[t.get("name", "") for t in tags],
        ref=[t.get("ref", "") for t in tags],
    )


def _segments(is_junction: np.ndarray, ref_way: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) reference indices of the pieces between consecutive junctions of a way."""
    junction_refs = np.flatnonzero(is_junction)
    start, end = junction_refs[:-1], junction_refs[1:]
    same_way = ref_way[start] == ref_way[end]
    return start[same_way], end[same_way]


def _restriction_via_nodes(restrictions: list[OsmRestriction]) -> np.ndarray:
    via = [ref for r in restrictions for ref in r.member_refs("n", "via")]
    return np.unique(np.asarray(via, dtype=np.int64))


def _resolve_restrictions(
    restrictions: list[OsmRestriction],
    *,
    node_osm_id: np.ndarray,
    first_out: np.ndarray,
    head: np.ndarray,
    arc_segment: np.ndarray,
    arc_access: np.ndarray,
    segment_osm_way_id: np.ndarray,
) -> tuple[dict[str, np.ndarray], int, Counter[str]]:
    """Turn from-way/via-node/to-way relations into (from arc, via, to arc) rows."""
    node_count = node_osm_id.shape[0]
    arcs_by_head = np.argsort(head, kind="stable")
    first_in = np.zeros(node_count + 1, dtype=np.int64)
    np.cumsum(np.bincount(head, minlength=node_count), out=first_in[1:])

    rows: list[tuple[int, int, int, bool, int]] = []
    skipped: Counter[str] = Counter()
    resolved = 0
    for restriction in restrictions:
        outcome = _resolve_one(
            restriction,
            node_osm_id=node_osm_id,
            outgoing=lambda v: np.arange(first_out[v], first_out[v + 1]),
            incoming=lambda v: arcs_by_head[first_in[v] : first_in[v + 1]],
            arc_segment=arc_segment,
            arc_access=arc_access,
            segment_osm_way_id=segment_osm_way_id,
        )
        if isinstance(outcome, str):
            skipped[outcome] += 1
            continue
        resolved += 1
        rows.extend(outcome)
    columns = list(zip(*rows, strict=True)) if rows else [(), (), (), (), ()]
    arrays = {
        "restriction_from_arc": np.asarray(columns[0], dtype=np.int32),
        "restriction_via_node": np.asarray(columns[1], dtype=np.int32),
        "restriction_to_arc": np.asarray(columns[2], dtype=np.int32),
        "restriction_only": np.asarray(columns[3], dtype=np.bool_),
        "restriction_access": np.asarray(columns[4], dtype=np.uint8),
    }
    return arrays, resolved, skipped


def _resolve_one(
    restriction: OsmRestriction,
    *,
    node_osm_id: np.ndarray,
    outgoing: _ArcsAt,
    incoming: _ArcsAt,
    arc_segment: np.ndarray,
    arc_access: np.ndarray,
    segment_osm_way_id: np.ndarray,
) -> list[tuple[int, int, int, bool, int]] | str:
    """The arc rows of one relation, or the reason it is skipped."""
    value, vehicles = restriction_applies_to(restriction.tags)
    if value is None:
        return "no restriction value (conditional or missing)"
    if vehicles == 0:
        return "not for cars or motorbikes"
    if value.startswith("no_"):
        only = False
    elif value.startswith("only_"):
        only = True
    else:
        return f"unknown restriction value {value!r}"
    if restriction.member_refs("w", "via"):
        return "via way (not supported)"
    via_refs = restriction.member_refs("n", "via")
    if len(via_refs) != 1:
        return "not exactly one via node"
    from_ways = set(restriction.member_refs("w", "from"))
    to_ways = set(restriction.member_refs("w", "to"))
    if not from_ways or not to_ways:
        return "missing from or to way"
    if only and (len(from_ways) > 1 or len(to_ways) > 1):
        return "only_* with several from or to ways"
    via_position = int(np.searchsorted(node_osm_id, via_refs[0]))
    if via_position >= node_osm_id.shape[0] or node_osm_id[via_position] != via_refs[0]:
        return "via node not in graph"
    via = via_position
    arcs_in = incoming(via)
    arcs_out = outgoing(via)
    touching = np.unique(np.concatenate((arc_segment[arcs_in], arc_segment[arcs_out])))
    touching_ways = segment_osm_way_id[touching].tolist()
    if any(touching_ways.count(way) > 1 for way in from_ways | to_ways):
        return "via node inside the from or to way (ambiguous direction)"
    from_arcs = [int(a) for a in arcs_in if segment_osm_way_id[arc_segment[a]] in from_ways]
    to_arcs = [int(a) for a in arcs_out if segment_osm_way_id[arc_segment[a]] in to_ways]
    if not from_arcs:
        return "from way does not lead into the via node"
    if not to_arcs:
        return "to way does not leave the via node"
    rows: list[tuple[int, int, int, bool, int]] = []
    for from_arc in from_arcs:
        for to_arc in to_arcs:
            access = vehicles & int(arc_access[from_arc])
            if not only:
                access &= int(arc_access[to_arc])  # a turn nobody may make needs no ban
            if access:
                rows.append((from_arc, via, to_arc, only, access))
    if not rows:
        return "restricted vehicles cannot make this turn anyway"
    return rows


def main(argv: list[str] | None = None) -> int:
    """Decode + build a file, print the figures, optionally save the artefact."""
    from smartcity.routing_engine.artefact import save_graph, sha256_file

    args = sys.argv[1:] if argv is None else argv
    if not args:
        sys.stderr.write("usage: python -m smartcity.routing_engine.build FILE.osm.pbf [OUT_DIR]\n")
        return 2
    source = Path(args[0])
    result = build_from_file(source)
    sys.stdout.write(
        f"decode {result.decode_seconds:.2f} s · build {result.build_seconds:.2f} s\n"
        f"{result.stats.summary()}\n"
    )
    if len(args) > 1:
        started = time.perf_counter()
        save_graph(
            result.graph, Path(args[1]), source_path=source, source_sha256=sha256_file(source)
        )
        sys.stdout.write(f"saved to {args[1]} in {time.perf_counter() - started:.2f} s\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
