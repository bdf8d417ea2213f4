"""A clearly labelled synthetic city, written as an OSM PBF file.

Used when no real extract is at hand (offline demo, fresh clone) and by tests.
Every object carries ``source=synthetic`` and ``note=synthetic``; names say
"Tổng Hợp" (synthetic) so nobody mistakes it for Ho Chi Minh City.

The city is a jittered street grid centred on (106.70, 10.78):

* complete arterial lines (primary/secondary, "Đường Tổng Hợp N") every few blocks,
  mid-block tertiary lines, some of them one-way couplets (one drawn against its
  direction with ``oneway=-1``);
* local residential streets with gaps (connectivity is restored so the grid stays
  one piece), curved shape points, a few one-way streets that motorbikes may ride
  both ways (``oneway:motorcycle=no``);
* alleys (``highway=service, service=alley``, "Hẻm …") with sub-alleys: motorbike only;
* a river (``waterway=river``) crossed only by bridges (``bridge=yes, layer=1``);
* a motorway pair with ramps along the east side (cars only);
* turn restrictions (no_left_turn, some ``except=motorcycle``; no_u_turn; only_straight_on);
* ward boundaries (admin_level 6, "Phường Tổng Hợp N") inside a city boundary (admin_level 4);
* hospitals and schools.

The generator is deterministic: the same size and seed give a byte-identical file.

    python -m smartcity.roads.synthetic --size city --seed 1 --out city.osm.pbf
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import numpy as np
import osmium
import osmium.io
import osmium.osm.mutable

CENTRE_LON: Final = 106.70
CENTRE_LAT: Final = 10.78
METRES_PER_DEGREE_LAT: Final = 110_574.0
SYNTHETIC_TAGS: Final = {"source": "synthetic", "note": "synthetic"}
STREET_WORDS: Final = (
    "Hoa Sữa",
    "Hoa Phượng",
    "Bằng Lăng",
    "Mai Vàng",
    "Sao Đen",
    "Dầu Rái",
    "Me Tây",
    "Điệp Vàng",
    "Lộc Vừng",
    "Sen Hồng",
    "Cúc Trắng",
    "Trúc Xanh",
    "Gạo Đỏ",
    "Ngọc Lan",
)

type CitySize = Literal["small", "city"]


@dataclass(frozen=True)
class CityPlan:
    """The knobs of one city size."""

    blocks: int  # arterial blocks per side; the grid has blocks*arterial_every+1 lines
    arterial_every: int
    local_keep_probability: float
    shape_point_probability: float
    alley_probability: float  # per local street edge
    sub_alley_probability: float
    oneway_local_probability: float
    couplet_every: int  # every n-th tertiary line pair is a one-way couplet
    bridge_every: int  # every n-th arterial column bridges the river
    restriction_probability: float  # per interior arterial crossing
    wards_per_side: int
    hospitals: int
    schools: int
    spacing_m: float = 115.0
    jitter_m: float = 8.0


PLANS: Final[dict[str, CityPlan]] = {
    "small": CityPlan(
        blocks=3,
        arterial_every=6,
        local_keep_probability=0.8,
        shape_point_probability=0.3,
        alley_probability=0.12,
        sub_alley_probability=0.3,
        oneway_local_probability=0.05,
        couplet_every=2,
        bridge_every=2,
        restriction_probability=1.0,
        wards_per_side=2,
        hospitals=2,
        schools=4,
    ),
    "city": CityPlan(
        blocks=24,
        arterial_every=8,
        local_keep_probability=0.6,
        shape_point_probability=0.3,
        alley_probability=0.33,
        sub_alley_probability=0.3,
        oneway_local_probability=0.04,
        couplet_every=3,
        bridge_every=3,
        restriction_probability=0.2,
        wards_per_side=10,
        hospitals=40,
        schools=200,
    ),
}


@dataclass
class _OsmStore:
    """Objects of the city before writing, with id counters."""

    nodes: list[tuple[int, float, float, dict[str, str]]] = field(default_factory=list)
    ways: list[tuple[int, list[int], dict[str, str]]] = field(default_factory=list)
    relations: list[tuple[int, list[tuple[str, int, str]], dict[str, str]]] = field(
        default_factory=list
    )

    def node(self, lon: float, lat: float, tags: dict[str, str] | None = None) -> int:
        node_id = len(self.nodes) + 1
        self.nodes.append((node_id, lon, lat, {**(tags or {}), **SYNTHETIC_TAGS}))
        return node_id

    def way(self, node_ids: list[int], tags: dict[str, str]) -> int:
        way_id = len(self.ways) + 1
        self.ways.append((way_id, node_ids, {**tags, **SYNTHETIC_TAGS}))
        return way_id

    def relation(self, members: list[tuple[str, int, str]], tags: dict[str, str]) -> int:
        relation_id = len(self.relations) + 1
        self.relations.append((relation_id, members, {**tags, **SYNTHETIC_TAGS}))
        return relation_id


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int) -> bool:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return False
        self.parent[root_a] = root_b
        return True


class _CityBuilder:
    def __init__(self, plan: CityPlan, seed: int) -> None:
        self.plan = plan
        self.rng = np.random.default_rng(seed)
        self.store = _OsmStore()
        self.size = plan.blocks * plan.arterial_every + 1
        self.metres_per_degree_lon = METRES_PER_DEGREE_LAT * math.cos(math.radians(CENTRE_LAT))
        half_extent_m = (self.size - 1) * plan.spacing_m / 2.0
        self.origin_lon = CENTRE_LON - half_extent_m / self.metres_per_degree_lon
        self.origin_lat = CENTRE_LAT - half_extent_m / METRES_PER_DEGREE_LAT
        self.river_row = int(self.size * 0.55)
        if self.river_row % plan.arterial_every == 0:
            self.river_row += 1
        # grid edge -> node ids strictly between its two grid nodes (shape points, alley mouths)
        self.inner_nodes: dict[tuple[int, int, int, int], list[int]] = {}
        self.street_names: dict[tuple[str, int], str] = {}
        self.ways_by_end: dict[int, list[tuple[int, str]]] = {}

    # -- geometry helpers -------------------------------------------------
    def lonlat(self, x_m: float, y_m: float) -> tuple[float, float]:
        return (
            round(self.origin_lon + x_m / self.metres_per_degree_lon, 7),
            round(self.origin_lat + y_m / METRES_PER_DEGREE_LAT, 7),
        )

    def grid_xy(self, row: int, col: int) -> tuple[float, float]:
        return self.grid_x[row, col], self.grid_y[row, col]

    # -- plan -------------------------------------------------------------
    def is_arterial(self, line: int) -> bool:
        return line % self.plan.arterial_every == 0

    def is_tertiary(self, line: int) -> bool:
        return line % self.plan.arterial_every == self.plan.arterial_every // 2

    def is_complete_line(self, line: int) -> bool:
        return self.is_arterial(line) or self.is_tertiary(line)

    def crosses_river(self, row: int) -> bool:
        return row == self.river_row

    def has_bridge(self, col: int) -> bool:
        every = self.plan.arterial_every
        return self.is_arterial(col) and (col // every) % self.plan.bridge_every == 1

    def build(self) -> _OsmStore:
        self._grid_nodes()
        edges = self._choose_edges()
        self._shape_points(edges)
        self._alleys(edges)
        self._streets(edges)
        self._river()
        self._motorway()
        self._restrictions()
        self._boundaries()
        self._pois()
        return self.store

    def _grid_nodes(self) -> None:
        plan, size = self.plan, self.size
        jitter = self.rng.uniform(-plan.jitter_m, plan.jitter_m, size=(2, size, size))
        rows, cols = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
        self.grid_x = cols * plan.spacing_m + jitter[0]
        self.grid_y = rows * plan.spacing_m + jitter[1]
        # keep straight arterials straight: no jitter across their line
        for line in range(0, size, plan.arterial_every):
            self.grid_y[line, :] = line * plan.spacing_m
            self.grid_x[:, line] = line * plan.spacing_m
        self.grid_node = np.zeros((size, size), dtype=np.int64)
        for row in range(size):
            for col in range(size):
                lon, lat = self.lonlat(*self.grid_xy(row, col))
                self.grid_node[row, col] = self.store.node(lon, lat)

    def _choose_edges(self) -> set[tuple[int, int, int, int]]:
        """Grid edges (r1, c1, r2, c2) that become street pieces; the grid stays one piece."""
        size, plan = self.size, self.plan
        kept: set[tuple[int, int, int, int]] = set()
        dropped: list[tuple[int, int, int, int]] = []
        union = _UnionFind(size * size)
        for row in range(size):
            for col in range(size):
                for d_row, d_col in ((0, 1), (1, 0)):
                    row2, col2 = row + d_row, col + d_col
                    if row2 >= size or col2 >= size:
                        continue
                    edge = (row, col, row2, col2)
                    line = row if d_row == 0 else col
                    if d_row == 1 and self.crosses_river(row) and not self.has_bridge(col):
                        continue  # no crossing without a bridge
                    complete = self.is_complete_line(line) or (
                        d_row == 0 and self._couplet_direction("row", row) is not None
                    )
                    keep_probability = 1.0 if complete else plan.local_keep_probability
                    if self.rng.random() < keep_probability:
                        kept.add(edge)
                        union.union(row * size + col, row2 * size + col2)
                    else:
                        dropped.append(edge)
        for edge in dropped:  # restore the gaps that would cut a piece off
            row, col, row2, col2 = edge
            if union.union(row * size + col, row2 * size + col2):
                kept.add(edge)
        return kept

    def _shape_points(self, edges: set[tuple[int, int, int, int]]) -> None:
        for edge in sorted(edges):
            row, col, row2, col2 = edge
            if self.is_arterial(row if row == row2 else col) or (
                self.rng.random() >= self.plan.shape_point_probability
            ):
                continue
            x1, y1 = self.grid_xy(row, col)
            x2, y2 = self.grid_xy(row2, col2)
            bend = self.rng.uniform(-12.0, 12.0)
            if row == row2:
                x, y = (x1 + x2) / 2.0, (y1 + y2) / 2.0 + bend
            else:
                x, y = (x1 + x2) / 2.0 + bend, (y1 + y2) / 2.0
            self.inner_nodes.setdefault(edge, []).append(self.store.node(*self.lonlat(x, y)))

    def _alleys(self, edges: set[tuple[int, int, int, int]]) -> None:
        """Hẻm: a dead-end alley off a street edge, sometimes with a sub-alley."""
        plan = self.plan
        alley_number = 0
        for edge in sorted(edges):
            row, col, row2, col2 = edge
            horizontal = row == row2
            if (not horizontal and self.crosses_river(row)) or self.is_arterial(
                row if horizontal else col
            ):
                continue
            if self.rng.random() >= plan.alley_probability or edge in self.inner_nodes:
                continue
            x1, y1 = self.grid_xy(row, col)
            x2, y2 = self.grid_xy(row2, col2)
            fraction = self.rng.uniform(0.3, 0.7)
            mouth_x, mouth_y = x1 + (x2 - x1) * fraction, y1 + (y2 - y1) * fraction
            mouth = self.store.node(*self.lonlat(mouth_x, mouth_y))
            self.inner_nodes[edge] = [mouth]
            side = 1.0 if self.rng.random() < 0.5 else -1.0
            depth = self.rng.uniform(0.3, 0.42) * plan.spacing_m
            nx, ny = (0.0, side) if horizontal else (side, 0.0)
            mid = self.store.node(
                *self.lonlat(mouth_x + nx * depth * 0.5, mouth_y + ny * depth * 0.5)
            )
            end = self.store.node(*self.lonlat(mouth_x + nx * depth, mouth_y + ny * depth))
            alley_number += 1
            house_number = int(self.rng.integers(2, 400))
            street = self._street_name("row" if horizontal else "col", row if horizontal else col)
            name = f"Hẻm {house_number} {street}" if street else f"Hẻm {house_number}"
            alley_tags = {"highway": "service", "service": "alley", "name": name}
            self.store.way([mouth, mid, end], alley_tags)
            if self.rng.random() < plan.sub_alley_probability:
                # sub-alley (hẻm trong hẻm) from the alley's middle, along the street
                tx, ty = (side, 0.0) if horizontal else (0.0, side)
                sub_end = self.store.node(
                    *self.lonlat(
                        mouth_x + nx * depth * 0.5 + tx * depth * 0.6,
                        mouth_y + ny * depth * 0.5 + ty * depth * 0.6,
                    )
                )
                self.store.way(
                    [mid, sub_end],
                    {"highway": "service", "service": "alley", "name": f"{name}/{alley_number}"},
                )

    def _street_name(self, kind: str, line: int) -> str:
        key = (kind, line)
        if key not in self.street_names:
            every = self.plan.arterial_every
            if self.is_arterial(line):
                number = line // every + 1 + (0 if kind == "row" else self.plan.blocks + 1)
                self.street_names[key] = f"Đường Tổng Hợp {number}"
            elif self.rng.random() < 0.2:
                self.street_names[key] = ""
            else:
                word = STREET_WORDS[int(self.rng.integers(len(STREET_WORDS)))]
                self.street_names[key] = f"Đường {word} {line + 1} (Tổng Hợp)"
        return self.street_names[key]

    def _line_tags(self, kind: str, line: int) -> dict[str, str]:
        every = self.plan.arterial_every
        if self.is_arterial(line):
            major = (line // every) % 2 == 0
            tags = {"highway": "primary" if major else "secondary", "lanes": "4" if major else "2"}
            if major:
                tags["maxspeed"] = "60"
        elif self.is_tertiary(line):
            tags = {"highway": "tertiary"}
        else:
            tags = {"highway": "residential"}
        name = self._street_name(kind, line)
        if name:
            tags["name"] = name
        return tags

    def _couplet_direction(self, kind: str, line: int) -> str | None:
        """ "yes"/"-1" for the two lines of a one-way couplet, None otherwise."""
        if kind != "row":
            return None
        every = self.plan.arterial_every
        block = line // every
        if block % self.plan.couplet_every != 0:
            return None
        if self.is_tertiary(line):
            return "yes"
        if line % every == every // 2 + 1:
            return "-1"  # drawn west→east but driven east→west
        return None

    def _street_runs(
        self, kind: str, line: int, edges: set[tuple[int, int, int, int]]
    ) -> list[tuple[list[int], bool]]:
        """The node lists (and bridge flag) of the ways along one grid line."""
        every = self.plan.arterial_every
        runs: list[tuple[list[int], bool]] = []
        run: list[int] = []
        for position in range(self.size - 1):
            if kind == "row":
                edge = (line, position, line, position + 1)
            else:
                edge = (position, line, position + 1, line)
            start = int(self.grid_node[edge[0], edge[1]])
            end = int(self.grid_node[edge[2], edge[3]])
            inner = self.inner_nodes.get(edge, [])
            if edge not in edges:
                runs.append((run, False))
                run = []
            elif kind == "col" and self.crosses_river(position):
                runs.append((run, False))
                runs.append(([start, *inner, end], True))
                run = []
            else:
                run = [*(run or [start]), *inner, end]
                if (position + 1) % every == 0:  # ways end at arterial crossings
                    runs.append((run, False))
                    run = []
        runs.append((run, False))
        return [(nodes, bridge) for nodes, bridge in runs if len(nodes) >= 2]

    def _streets(self, edges: set[tuple[int, int, int, int]]) -> None:
        for kind in ("row", "col"):
            for line in range(self.size):
                couplet = self._couplet_direction(kind, line)
                for nodes, bridge in self._street_runs(kind, line, edges):
                    tags = self._line_tags(kind, line)
                    if couplet is not None:
                        tags.update({"oneway": couplet, "highway": "tertiary"})
                    elif tags["highway"] == "residential" and (
                        self.rng.random() < self.plan.oneway_local_probability
                    ):
                        tags["oneway"] = "yes"
                        if self.rng.random() < 0.5:
                            tags["oneway:motorcycle"] = "no"
                    if bridge:
                        tags.update({"bridge": "yes", "layer": "1"})
                    way_id = self.store.way(nodes, tags)
                    self.ways_by_end.setdefault(nodes[0], []).append((way_id, f"{kind}+"))
                    self.ways_by_end.setdefault(nodes[-1], []).append((way_id, f"{kind}-"))

    def _river(self) -> None:
        spacing = self.plan.spacing_m
        base_y = (self.river_row + 0.5) * spacing
        width_m = (self.size - 1) * spacing
        node_ids = []
        for step in range(int(width_m / 60.0) + 5):
            x = -120.0 + step * 60.0
            y = base_y + 0.22 * spacing * math.sin(x / 900.0)
            node_ids.append(self.store.node(*self.lonlat(x, y)))
        self.store.way(node_ids, {"waterway": "river", "name": "Sông Tổng Hợp", "boat": "yes"})

    def _motorway(self) -> None:
        """A motorway pair east of the grid with ramps to the primary rows."""
        size, every, spacing = self.size, self.plan.arterial_every, self.plan.spacing_m
        east_x = (size - 1) * spacing
        northbound = [
            self.store.node(*self.lonlat(east_x + 260.0, row * spacing)) for row in range(size)
        ]
        southbound = [
            self.store.node(*self.lonlat(east_x + 290.0, row * spacing)) for row in range(size)
        ]
        interchanges = [row for row in range(every, size - 1, every) if (row // every) % 2 == 0]
        cuts = sorted({0, size - 1, self.river_row, self.river_row + 1, *interchanges})
        base = {"highway": "motorway", "name": "Đường Cao Tốc Tổng Hợp", "ref": "CT.TH"}
        for first, last in itertools.pairwise(cuts):
            tags = {**base, "oneway": "yes", "maxspeed": "100", "lanes": "2"}
            if first == self.river_row:
                tags.update({"bridge": "yes", "layer": "1", "maxspeed": "80"})
            self.store.way(northbound[first : last + 1], tags)
            self.store.way(list(reversed(southbound[first : last + 1])), dict(tags))
        link = {"highway": "motorway_link", "source:note": "ramp"}
        for row in interchanges:
            if row < 2 or row > size - 3:
                continue
            street_end = int(self.grid_node[row, size - 1])
            self.store.way([northbound[row - 2], street_end], dict(link))  # NB exit
            self.store.way([street_end, northbound[row + 2]], dict(link))  # NB entry
            self.store.way([southbound[row + 2], street_end], dict(link))  # SB exit
            self.store.way([street_end, southbound[row - 2]], dict(link))  # SB entry

    def _restrictions(self) -> None:
        every, size = self.plan.arterial_every, self.size
        kinds = ("no_left_turn", "no_left_turn_except", "no_u_turn", "only_straight_on")
        for row in range(every, size - 1, every):
            for col in range(every, size - 1, every):
                if self.rng.random() >= self.plan.restriction_probability:
                    continue
                via = int(self.grid_node[row, col])
                ends = self.ways_by_end.get(via, [])
                from_way = next((w for w, side in ends if side == "row-"), None)
                east_way = next((w for w, side in ends if side == "row+"), None)
                north_way = next((w for w, side in ends if side == "col+"), None)
                if from_way is None:
                    continue
                kind = kinds[len(self.store.relations) % len(kinds)]  # every kind in turn
                tags = {"type": "restriction"}
                to_way: int | None
                if kind.startswith("no_left_turn"):
                    tags["restriction"], to_way = "no_left_turn", north_way
                    if kind.endswith("except"):
                        tags["except"] = "motorcycle"
                elif kind == "no_u_turn":
                    tags["restriction"], to_way = "no_u_turn", from_way
                else:
                    tags["restriction"], to_way = "only_straight_on", east_way
                if to_way is None:
                    continue
                self.store.relation(
                    [("w", from_way, "from"), ("n", via, "via"), ("w", to_way, "to")], tags
                )

    def _boundaries(self) -> None:
        spacing, wards = self.plan.spacing_m, self.plan.wards_per_side
        west, south = -0.5 * spacing, -0.5 * spacing
        east = (self.size - 1) * spacing + 400.0  # includes the motorway
        north = (self.size - 0.5) * spacing
        xs = [west + (east - west) * i / wards for i in range(wards + 1)]
        ys = [south + (north - south) * j / wards for j in range(wards + 1)]
        corner = [[self.store.node(*self.lonlat(x, y)) for y in ys] for x in xs]

        def piece(nodes: list[int], on_perimeter: bool) -> int:
            level = "4" if on_perimeter else "6"
            return self.store.way(nodes, {"boundary": "administrative", "admin_level": level})

        horizontal = {
            (i, j): piece([corner[i][j], corner[i + 1][j]], j in (0, wards))
            for i in range(wards)
            for j in range(wards + 1)
        }
        vertical = {
            (i, j): piece([corner[i][j], corner[i][j + 1]], i in (0, wards))
            for i in range(wards + 1)
            for j in range(wards)
        }
        ward_number = 0
        for j in range(wards):
            for i in range(wards):
                ward_number += 1
                members = [
                    ("w", horizontal[i, j], "outer"),
                    ("w", vertical[i + 1, j], "outer"),
                    ("w", horizontal[i, j + 1], "outer"),
                    ("w", vertical[i, j], "outer"),
                ]
                self.store.relation(
                    members,
                    {
                        "type": "boundary",
                        "boundary": "administrative",
                        "admin_level": "6",
                        "name": f"Phường Tổng Hợp {ward_number}",
                    },
                )
        perimeter = (
            [("w", horizontal[i, 0], "outer") for i in range(wards)]
            + [("w", vertical[wards, j], "outer") for j in range(wards)]
            + [("w", horizontal[i, wards], "outer") for i in reversed(range(wards))]
            + [("w", vertical[0, j], "outer") for j in reversed(range(wards))]
        )
        self.store.relation(
            perimeter,
            {
                "type": "boundary",
                "boundary": "administrative",
                "admin_level": "4",
                "name": "Thành phố Tổng Hợp",
            },
        )

    def _pois(self) -> None:
        extent = (self.size - 1) * self.plan.spacing_m
        for kind, count, label in (
            ("hospital", self.plan.hospitals, "Bệnh viện Tổng Hợp"),
            ("school", self.plan.schools, "Trường Tổng Hợp"),
        ):
            for number in range(1, count + 1):
                x, y = self.rng.uniform(0.0, extent, size=2)
                self.store.node(
                    *self.lonlat(float(x), float(y)),
                    {"amenity": kind, "name": f"{label} {number}"},
                )


def write_store(store: _OsmStore, out: Path) -> None:
    header = osmium.io.Header()
    header.set("generator", "smartcity synthetic city (not real data)")
    out.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(out), header=header) as writer:
        for node_id, lon, lat, tags in store.nodes:
            writer.add_node(osmium.osm.mutable.Node(id=node_id, location=(lon, lat), tags=tags))
        for way_id, node_ids, tags in store.ways:
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=node_ids, tags=tags))
        for relation_id, members, tags in store.relations:
            writer.add_relation(
                osmium.osm.mutable.Relation(id=relation_id, members=members, tags=tags)
            )


def generate_city(size: CitySize, seed: int, out: Path) -> Path:
    """Write a synthetic city of the given size to ``out`` (.osm.pbf), replacing it."""
    if size not in PLANS:
        raise ValueError(f"unknown city size {size!r}; choose one of {sorted(PLANS)}")
    store = _CityBuilder(PLANS[size], seed).build()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_store(store, out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--size", choices=sorted(PLANS), default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    generate_city(args.size, args.seed, args.out)
    sys.stdout.write(
        f"wrote {args.out} ({args.out.stat().st_size:,} bytes) in "
        f"{time.perf_counter() - started:.2f} s\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
