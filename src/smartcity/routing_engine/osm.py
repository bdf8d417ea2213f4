"""Decode an OpenStreetMap file into plain arrays and tag dictionaries.

This module reads; it does not decide what a tag means (``profiles.py`` does).
It keeps every ``highway=*`` way with all its tags and the locations of its
nodes, turn-restriction relations, and on request points of interest and
administrative boundaries.

Memory: libosmium's node-location index (``flex_mem``, C++, ~8 bytes per node)
holds every node location while the file streams by; Python keeps only the
nodes of highway ways, as flat numpy arrays. Formats: ``.osm.pbf``, ``.osm``,
``.osm.gz``, ``.osm.bz2`` (chosen by extension).

Ways whose nodes are missing from the file make the decode fail with
``OsmDecodeError`` naming how many ways and nodes, so an import stops before
anything is written; ``allow_missing_nodes=True`` instead drops those ways and
counts them in ``DecodeStats``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import osmium
import osmium.filter
import osmium.osm

# libosmium's marker for a node location the index does not know
_UNDEFINED_COORDINATE: Final = 2147483647
_COORDINATE_PRECISION: Final = 10_000_000
POI_AMENITIES: Final = frozenset({"hospital", "clinic", "school", "college", "university"})
_WANTED_KEYS: Final = ("highway", "amenity", "boundary", "type")


class OsmDecodeError(Exception):
    """The OSM file cannot be decoded: missing, empty, corrupt or incomplete."""


@dataclass(frozen=True, eq=False)
class DecodedWays:
    """Highway ways as flat arrays: way w has nodes node_offsets[w]:node_offsets[w+1]."""

    way_id: np.ndarray  # int64[w]
    tags: list[dict[str, str]]  # length w
    node_offsets: np.ndarray  # int64[w+1]
    node_id: np.ndarray  # int64[k] OSM node ids in way order
    node_lon: np.ndarray  # float64[k]
    node_lat: np.ndarray  # float64[k]

    @property
    def way_count(self) -> int:
        return int(self.way_id.shape[0])

    def node_ids_of(self, way: int) -> np.ndarray:
        return self.node_id[self.node_offsets[way] : self.node_offsets[way + 1]]


@dataclass(frozen=True)
class RelationMember:
    type: str  # "n", "w" or "r"
    ref: int
    role: str


@dataclass(frozen=True)
class OsmRestriction:
    """A ``type=restriction`` relation, uninterpreted."""

    relation_id: int
    tags: dict[str, str]
    members: tuple[RelationMember, ...]

    def member_refs(self, member_type: str, role: str) -> list[int]:
        return [m.ref for m in self.members if m.type == member_type and m.role == role]


@dataclass(frozen=True)
class OsmPoi:
    """A point of interest; for a closed way, the mean of its node locations."""

    osm_type: str  # "n" or "w"
    osm_id: int
    lon: float
    lat: float
    tags: dict[str, str]

    @property
    def kind(self) -> str:
        return self.tags.get("amenity", "")

    @property
    def name(self) -> str:
        return self.tags.get("name", "")


# one polygon: outer ring and its inner rings, each float64[k, 2] lon/lat, closed
Polygon = tuple[np.ndarray, tuple[np.ndarray, ...]]


@dataclass(frozen=True, eq=False)
class OsmBoundary:
    """An administrative boundary assembled into (multi)polygons by libosmium."""

    osm_type: str  # "w" (closed way) or "r" (relation)
    osm_id: int
    admin_level: int
    tags: dict[str, str]
    polygons: list[Polygon]

    @property
    def name(self) -> str:
        return self.tags.get("name", "")


@dataclass(frozen=True)
class DecodeStats:
    highway_ways: int = 0
    highway_way_nodes: int = 0
    ways_missing_nodes: int = 0
    missing_node_refs: int = 0
    restriction_relations: int = 0
    pois: int = 0
    boundaries: int = 0


@dataclass(frozen=True, eq=False)
class DecodedOsm:
    source_path: Path
    ways: DecodedWays
    restrictions: list[OsmRestriction]
    pois: list[OsmPoi] = field(default_factory=list)
    boundaries: list[OsmBoundary] = field(default_factory=list)
    stats: DecodeStats = field(default_factory=DecodeStats)


class _Collector:
    """Accumulates decoded objects while the file streams by."""

    def __init__(self, *, with_pois: bool, admin_levels: Collection[int]) -> None:
        self.with_pois = with_pois
        self.admin_levels = frozenset(admin_levels)
        self.way_ids: list[int] = []
        self.way_tags: list[dict[str, str]] = []
        self.way_lengths: list[int] = []
        self.node_ids: list[int] = []
        self.node_x: list[int] = []
        self.node_y: list[int] = []
        self.restrictions: list[OsmRestriction] = []
        self.pois: list[OsmPoi] = []
        self.boundaries: list[OsmBoundary] = []
        self.missing_ways: list[int] = []
        self.missing_refs = 0

    def add(self, entity: object) -> None:
        if isinstance(entity, osmium.osm.Way):
            self._add_way(entity)
        elif isinstance(entity, osmium.osm.Node):
            self._add_node(entity)
        elif isinstance(entity, osmium.osm.Relation):
            self._add_relation(entity)
        elif isinstance(entity, osmium.osm.Area):
            self._add_area(entity)

    def _add_way(self, way: osmium.osm.Way) -> None:
        tags = way.tags
        if "highway" in tags:
            refs = [(node.ref, node.x, node.y) for node in way.nodes]
            missing = sum(1 for _, x, _ in refs if x == _UNDEFINED_COORDINATE)
            if missing:
                self.missing_ways.append(way.id)
                self.missing_refs += missing
                return
            self.way_ids.append(way.id)
            self.way_tags.append({tag.k: tag.v for tag in tags})
            self.way_lengths.append(len(refs))
            for ref, x, y in refs:
                self.node_ids.append(ref)
                self.node_x.append(x)
                self.node_y.append(y)
        if self.with_pois and tags.get("amenity") in POI_AMENITIES:
            points = [(node.x, node.y) for node in way.nodes if node.x != _UNDEFINED_COORDINATE]
            if way.is_closed() and len(points) > 1:
                points = points[:-1]
            if points:
                xy = np.asarray(points, dtype=np.float64).mean(axis=0) / _COORDINATE_PRECISION
                self.pois.append(
                    OsmPoi("w", way.id, float(xy[0]), float(xy[1]), {t.k: t.v for t in tags})
                )

    def _add_node(self, node: osmium.osm.Node) -> None:
        if self.with_pois and node.tags.get("amenity") in POI_AMENITIES:
            location = node.location
            if location.valid():
                self.pois.append(
                    OsmPoi("n", node.id, location.lon, location.lat, {t.k: t.v for t in node.tags})
                )

    def _add_relation(self, relation: osmium.osm.Relation) -> None:
        if relation.tags.get("type") != "restriction":
            return
        members = tuple(RelationMember(m.type, m.ref, m.role) for m in relation.members)
        self.restrictions.append(
            OsmRestriction(relation.id, {t.k: t.v for t in relation.tags}, members)
        )

    def _add_area(self, area: osmium.osm.Area) -> None:
        tags = area.tags
        if tags.get("boundary") != "administrative":
            return
        try:
            admin_level = int(tags.get("admin_level") or "")
        except ValueError:
            return
        if admin_level not in self.admin_levels:
            return
        polygons: list[Polygon] = []
        for outer in area.outer_rings():
            inners = tuple(_ring_coords(inner) for inner in area.inner_rings(outer))
            polygons.append((_ring_coords(outer), inners))
        if polygons:
            self.boundaries.append(
                OsmBoundary(
                    "w" if area.from_way() else "r",
                    area.orig_id(),
                    admin_level,
                    {t.k: t.v for t in tags},
                    polygons,
                )
            )

    def ways(self) -> DecodedWays:
        offsets = np.zeros(len(self.way_lengths) + 1, dtype=np.int64)
        np.cumsum(np.asarray(self.way_lengths, dtype=np.int64), out=offsets[1:])
        return DecodedWays(
            way_id=np.asarray(self.way_ids, dtype=np.int64),
            tags=self.way_tags,
            node_offsets=offsets,
            node_id=np.asarray(self.node_ids, dtype=np.int64),
            node_lon=np.asarray(self.node_x, dtype=np.float64) / _COORDINATE_PRECISION,
            node_lat=np.asarray(self.node_y, dtype=np.float64) / _COORDINATE_PRECISION,
        )


def _ring_coords(ring: osmium.osm.NodeRefList) -> np.ndarray:
    return np.asarray([(node.lon, node.lat) for node in ring], dtype=np.float64).reshape(-1, 2)


def decode_osm(
    path: str | Path,
    *,
    with_pois: bool = False,
    admin_levels: Collection[int] = (),
    allow_missing_nodes: bool = False,
) -> DecodedOsm:
    """Read an OSM file: highway ways, restriction relations, optional POIs and boundaries.

    ``admin_levels`` selects the ``boundary=administrative`` levels to assemble
    into polygons (none by default: area assembly costs a second pass).
    Raises OsmDecodeError for a missing, empty or corrupt file, and for highway
    ways with nodes missing from the file unless ``allow_missing_nodes``.
    """
    source = Path(path)
    if not source.is_file():
        raise OsmDecodeError(f"OSM file not found: {source}")
    if source.stat().st_size == 0:
        raise OsmDecodeError(f"OSM file is empty: {source}")
    collector = _Collector(with_pois=with_pois, admin_levels=admin_levels)
    processor = osmium.FileProcessor(str(source)).with_locations()
    if admin_levels:
        processor = processor.with_areas(osmium.filter.TagFilter(("boundary", "administrative")))
    processor = processor.with_filter(osmium.filter.KeyFilter(*_WANTED_KEYS))
    try:
        for entity in processor:
            collector.add(entity)
    except RuntimeError as error:  # libosmium reports parse errors as RuntimeError
        raise OsmDecodeError(
            f"cannot read {source.name}: corrupt or truncated ({error})"
        ) from error
    if collector.missing_ways and not allow_missing_nodes:
        examples = ", ".join(str(way_id) for way_id in collector.missing_ways[:5])
        raise OsmDecodeError(
            f"{source.name}: {len(collector.missing_ways)} highway ways refer to "
            f"{collector.missing_refs} nodes missing from the file (e.g. way {examples}); "
            "the extract is incomplete — use a complete extract or allow_missing_nodes"
        )
    ways = collector.ways()
    stats = DecodeStats(
        highway_ways=ways.way_count,
        highway_way_nodes=int(ways.node_id.shape[0]),
        ways_missing_nodes=len(collector.missing_ways),
        missing_node_refs=collector.missing_refs,
        restriction_relations=len(collector.restrictions),
        pois=len(collector.pois),
        boundaries=len(collector.boundaries),
    )
    return DecodedOsm(
        source_path=source,
        ways=ways,
        restrictions=collector.restrictions,
        pois=collector.pois,
        boundaries=collector.boundaries,
        stats=stats,
    )
