"""The synthetic city: labelled, deterministic, and a usable road network."""

from __future__ import annotations

import hashlib
from collections import deque
from pathlib import Path

import numpy as np
import osmium
import pytest

from smartcity.roads.synthetic import generate_city, main
from smartcity.routing_engine.build import BuildResult, build_graph_with_stats
from smartcity.routing_engine.graph import (
    CAR,
    MOTORBIKE,
    ROAD_CLASS_CODE,
    SEGMENT_BRIDGE,
    RoadGraph,
)
from smartcity.routing_engine.osm import DecodedOsm, decode_osm


@pytest.fixture(scope="module")
def small_city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DecodedOsm, BuildResult]:
    path = generate_city("small", 7, tmp_path_factory.mktemp("synthetic") / "small.osm.pbf")
    decoded = decode_osm(path, with_pois=True, admin_levels=(4, 6))
    return path, decoded, build_graph_with_stats(decoded)


def reachable(graph: RoadGraph, start: int, vehicle: int, *, reverse: bool) -> set[int]:
    usable = (graph.arc_access & vehicle) != 0
    tails, heads = (graph.head, graph.tail) if reverse else (graph.tail, graph.head)
    neighbours: dict[int, list[int]] = {}
    for tail, head in zip(tails[usable].tolist(), heads[usable].tolist(), strict=True):
        neighbours.setdefault(tail, []).append(head)
    seen, queue = {start}, deque([start])
    while queue:
        for nxt in neighbours.get(queue.popleft(), []):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def vehicle_nodes(graph: RoadGraph, vehicle: int) -> set[int]:
    usable = (graph.arc_access & vehicle) != 0
    return set(graph.tail[usable].tolist()) | set(graph.head[usable].tolist())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_small_city_size(small_city: tuple[Path, DecodedOsm, BuildResult]) -> None:
    _, _, result = small_city
    assert 300 <= result.graph.node_count <= 800
    assert result.stats.ways_skipped == {}


@pytest.mark.parametrize("vehicle", [CAR, MOTORBIKE])
def test_small_city_is_strongly_connected(
    small_city: tuple[Path, DecodedOsm, BuildResult], vehicle: int
) -> None:
    graph = small_city[2].graph
    nodes = vehicle_nodes(graph, vehicle)
    start = int(graph.node_ids_for_osm(np.asarray([1]))[0])  # the south-west grid corner
    component = reachable(graph, start, vehicle, reverse=False) & reachable(
        graph, start, vehicle, reverse=True
    )
    # random one-way local streets may strand a dead end; the city itself is one piece
    assert len(component) >= 0.95 * len(nodes)
    weakly = reachable(graph, start, vehicle, reverse=False) | reachable(
        graph, start, vehicle, reverse=True
    )
    assert len(weakly) >= 0.98 * len(nodes)


def test_bridges_alleys_and_motorway(small_city: tuple[Path, DecodedOsm, BuildResult]) -> None:
    graph = small_city[2].graph
    bridge_arcs = (graph.segment_flags[graph.arc_segment] & SEGMENT_BRIDGE) != 0
    assert bridge_arcs.any()
    alley_arcs = graph.arc_road_class == ROAD_CLASS_CODE["service"]
    assert alley_arcs.any()
    assert np.all(graph.arc_access[alley_arcs] == MOTORBIKE)
    motorway = np.isin(
        graph.arc_road_class, [ROAD_CLASS_CODE["motorway"], ROAD_CLASS_CODE["motorway_link"]]
    )
    assert motorway.any()
    assert np.all(graph.arc_access[motorway] == CAR)
    # the river splits the city: every car route north goes over a bridge or the motorway
    names = {graph.segment_name[s] for s in np.flatnonzero(graph.segment_flags & SEGMENT_BRIDGE)}
    assert any(name.startswith("Đường Tổng Hợp") for name in names)


def test_restrictions_resolve(small_city: tuple[Path, DecodedOsm, BuildResult]) -> None:
    _, decoded, result = small_city
    assert result.stats.restrictions_skipped == {}
    assert result.stats.restrictions_resolved == len(decoded.restrictions) > 0
    graph = result.graph
    kinds = {r.tags["restriction"] for r in decoded.restrictions}
    assert kinds == {"no_left_turn", "no_u_turn", "only_straight_on"}
    assert any(r.tags.get("except") == "motorcycle" for r in decoded.restrictions)
    # the no_left_turn with except=motorcycle binds cars only
    assert (graph.restriction_access == CAR).any()
    assert graph.restriction_only.any()
    u_turns = (
        graph.arc_segment[graph.restriction_from_arc] == graph.arc_segment[graph.restriction_to_arc]
    )
    assert u_turns.any()


def test_labelled_as_synthetic(small_city: tuple[Path, DecodedOsm, BuildResult]) -> None:
    path, decoded, _ = small_city
    assert all(tags["source"] == "synthetic" for tags in decoded.ways.tags)
    for entity in osmium.FileProcessor(str(path)):
        assert entity.tags.get("note") == "synthetic"
    names = {tags.get("name", "") for tags in decoded.ways.tags}
    assert any(name.startswith("Hẻm ") for name in names)
    assert "Đường Tổng Hợp 1" in names


def test_boundaries_and_pois(small_city: tuple[Path, DecodedOsm, BuildResult]) -> None:
    _, decoded, _ = small_city
    wards = [b for b in decoded.boundaries if b.admin_level == 6]
    cities = [b for b in decoded.boundaries if b.admin_level == 4]
    assert sorted(b.name for b in wards) == [f"Phường Tổng Hợp {n}" for n in range(1, 5)]
    assert [b.name for b in cities] == ["Thành phố Tổng Hợp"]
    outer = cities[0].polygons[0][0]
    assert 106.6 < outer[:, 0].mean() < 106.8
    assert 10.7 < outer[:, 1].mean() < 10.9
    assert {p.kind for p in decoded.pois} == {"hospital", "school"}


def test_same_seed_same_file(tmp_path: Path) -> None:
    first = generate_city("small", 11, tmp_path / "a.osm.pbf")
    second = generate_city("small", 11, tmp_path / "b.osm.pbf")
    other = generate_city("small", 12, tmp_path / "c.osm.pbf")
    assert sha256(first) == sha256(second)
    assert sha256(first) != sha256(other)
    # regenerating over an existing file replaces it
    assert sha256(generate_city("small", 12, first)) == sha256(other)


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.osm.pbf"
    assert main(["--size", "small", "--seed", "2", "--out", str(out)]) == 0
    assert out.stat().st_size > 1000
    assert "wrote" in capsys.readouterr().out


def test_unknown_size(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown city size"):
        generate_city("huge", 1, tmp_path / "x.osm.pbf")  # type: ignore[arg-type]


def test_city_size_matches_hcmc(tmp_path: Path) -> None:
    path = generate_city("city", 1, tmp_path / "city.osm.pbf")
    result = build_graph_with_stats(decode_osm(path))
    # HCMC 2018 reference: 57,032 junctions and 143,240 arcs
    assert 50_000 <= result.graph.node_count <= 65_000
    assert 125_000 <= result.graph.arc_count <= 160_000
