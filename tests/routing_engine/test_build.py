"""Graph build: junction splitting, arcs, CSR, restrictions; real HCMC cross-check."""

from __future__ import annotations

import csv
import dataclasses
import gzip
from pathlib import Path

import numpy as np
import pytest

from smartcity.routing_engine.build import (
    BuildStats,
    GraphBuildError,
    build_from_file,
    build_graph_with_stats,
    haversine_m,
)
from smartcity.routing_engine.graph import (
    CAR,
    MOTORBIKE,
    ROAD_CLASS_CODE,
    GraphValidationError,
    RoadGraph,
)
from smartcity.routing_engine.osm import decode_osm

BOTH = CAR | MOTORBIKE

# 1 -10- 2 - 3 - 6 (motorway)   6 has a loop 6-7-8-6;  2 -> 4 one-way;  3 - 5 alley;
# 4 - 9 residential with a doubled node; 1 - 4 footway (skipped).
NETWORK_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
 <node id="1" lat="10.7800" lon="106.7000"/>
 <node id="10" lat="10.7801" lon="106.7005"/>
 <node id="2" lat="10.7800" lon="106.7010"/>
 <node id="3" lat="10.7800" lon="106.7020"/>
 <node id="4" lat="10.7810" lon="106.7010"/>
 <node id="5" lat="10.7790" lon="106.7020"/>
 <node id="6" lat="10.7800" lon="106.7100"/>
 <node id="7" lat="10.7810" lon="106.7110"/>
 <node id="8" lat="10.7790" lon="106.7110"/>
 <node id="9" lat="10.7820" lon="106.7010"/>
 <way id="100"><nd ref="1"/><nd ref="10"/><nd ref="2"/><tag k="highway" v="primary"/><tag k="name" v="Đường A"/><tag k="ref" v="QL1"/></way>
 <way id="101"><nd ref="2"/><nd ref="3"/><tag k="highway" v="primary"/><tag k="bridge" v="yes"/><tag k="lanes" v="4"/></way>
 <way id="102"><nd ref="2"/><nd ref="4"/><tag k="highway" v="residential"/><tag k="oneway" v="yes"/></way>
 <way id="103"><nd ref="3"/><nd ref="5"/><tag k="highway" v="service"/><tag k="service" v="alley"/></way>
 <way id="104"><nd ref="3"/><nd ref="6"/><tag k="highway" v="motorway"/><tag k="maxspeed" v="80"/></way>
 <way id="105"><nd ref="6"/><nd ref="7"/><nd ref="8"/><nd ref="6"/><tag k="highway" v="residential"/></way>
 <way id="106"><nd ref="1"/><nd ref="4"/><tag k="highway" v="footway"/></way>
 <way id="107"><nd ref="4"/><nd ref="4"/><nd ref="9"/><tag k="highway" v="residential"/></way>
 <relation id="200"><member type="way" ref="100" role="from"/><member type="node" ref="2" role="via"/>
  <member type="way" ref="102" role="to"/><tag k="type" v="restriction"/><tag k="restriction" v="no_left_turn"/>
  <tag k="except" v="motorcycle"/></relation>
 <relation id="201"><member type="way" ref="100" role="from"/><member type="node" ref="2" role="via"/>
  <member type="way" ref="101" role="to"/><tag k="type" v="restriction"/><tag k="restriction" v="only_straight_on"/></relation>
 <relation id="202"><member type="way" ref="100" role="from"/><member type="way" ref="101" role="via"/>
  <member type="way" ref="104" role="to"/><tag k="type" v="restriction"/><tag k="restriction" v="no_right_turn"/></relation>
 <relation id="203"><member type="way" ref="101" role="from"/><member type="node" ref="3" role="via"/>
  <member type="way" ref="104" role="to"/><tag k="type" v="restriction"/><tag k="restriction:hgv" v="no_straight_on"/></relation>
 <relation id="204"><member type="way" ref="102" role="from"/><member type="node" ref="4" role="via"/>
  <member type="way" ref="102" role="to"/><tag k="type" v="restriction"/><tag k="restriction" v="no_u_turn"/></relation>
</osm>
"""


@pytest.fixture
def built(tmp_path: Path) -> tuple[RoadGraph, BuildStats]:
    path = tmp_path / "network.osm"
    path.write_text(NETWORK_OSM, encoding="utf-8")
    result = build_graph_with_stats(decode_osm(path))
    return result.graph, result.stats


def arcs_between(graph: RoadGraph, tail_osm: int, head_osm: int) -> list[int]:
    tail, head = graph.node_ids_for_osm(np.asarray([tail_osm, head_osm])).tolist()
    return [
        arc
        for arc in range(int(graph.first_out[tail]), int(graph.first_out[tail + 1]))
        if graph.head[arc] == head
    ]


def test_junctions_become_nodes_and_shape_points_do_not(
    built: tuple[RoadGraph, BuildStats],
) -> None:
    graph, _ = built
    # 10 and 8 are shape points; 7 is the middle of the loop 6-7-8-6, cut to avoid a self-loop
    assert graph.node_osm_id.tolist() == [1, 2, 3, 4, 5, 6, 7, 9]
    assert graph.node_ids_for_osm(np.asarray([3, 10, 999])).tolist() == [2, -1, -1]
    assert graph.segment_count == 8
    assert not np.any(graph.tail == graph.head)


def test_segment_geometry_and_length(built: tuple[RoadGraph, BuildStats]) -> None:
    graph, _ = built
    segment = graph.segment_osm_way_id.tolist().index(100)
    geometry = graph.segment_geometry(segment)
    assert geometry.tolist() == [[106.7, 10.78], [106.7005, 10.7801], [106.701, 10.78]]
    expected = haversine_m(geometry[:-1, 0], geometry[:-1, 1], geometry[1:, 0], geometry[1:, 1])
    assert graph.segment_length_m[segment] == pytest.approx(expected.sum(), rel=1e-6)
    assert graph.segment_name[segment] == "Đường A"
    assert graph.segment_ref[segment] == "QL1"
    (backward,) = arcs_between(graph, 2, 1)
    assert graph.arc_geometry(backward)[0].tolist() == [106.701, 10.78]


def test_arcs_carry_direction_and_access(built: tuple[RoadGraph, BuildStats]) -> None:
    graph, _ = built
    assert graph.arc_count == 14
    assert len(arcs_between(graph, 2, 4)) == 1
    assert arcs_between(graph, 4, 2) == []  # one-way
    (alley,) = arcs_between(graph, 3, 5)
    assert graph.arc_access[alley] == MOTORBIKE
    (motorway,) = arcs_between(graph, 3, 6)
    assert graph.arc_access[motorway] == CAR
    assert arcs_between(graph, 6, 3) == []  # motorways are implied one-way
    assert graph.arc_maxspeed_kmh[motorway] == 80.0
    assert graph.arc_road_class[motorway] == ROAD_CLASS_CODE["motorway"]
    (bridge,) = arcs_between(graph, 2, 3)
    segment = graph.arc_segment[bridge]
    assert graph.segment_flags[segment] & 1
    assert graph.segment_lanes[segment] == 4
    assert graph.arc_forward[bridge]
    assert not graph.arc_forward[arcs_between(graph, 3, 2)[0]]


def test_csr_is_sorted_by_tail(built: tuple[RoadGraph, BuildStats]) -> None:
    graph, _ = built
    graph.validate()
    assert np.all(np.diff(graph.tail) >= 0)
    for node in range(graph.node_count):
        arcs = range(int(graph.first_out[node]), int(graph.first_out[node + 1]))
        assert all(graph.tail[arc] == node for arc in arcs)


def test_restrictions_resolve_onto_arcs(built: tuple[RoadGraph, BuildStats]) -> None:
    graph, stats = built
    (into_2,) = arcs_between(graph, 1, 2)
    (to_4,) = arcs_between(graph, 2, 4)
    (to_3,) = arcs_between(graph, 2, 3)
    via = int(graph.node_ids_for_osm(np.asarray([2]))[0])
    rows = set(
        zip(
            graph.restriction_from_arc.tolist(),
            graph.restriction_via_node.tolist(),
            graph.restriction_to_arc.tolist(),
            graph.restriction_only.tolist(),
            graph.restriction_access.tolist(),
            strict=True,
        )
    )
    # except=motorcycle: the ban binds cars only
    assert rows == {(into_2, via, to_4, False, CAR), (into_2, via, to_3, True, BOTH)}
    assert stats.restrictions_resolved == 2
    assert stats.restrictions_skipped == {
        "via way (not supported)": 1,
        "not for cars or motorbikes": 1,
        "to way does not leave the via node": 1,
    }


def test_stats_count_skips_and_loops(built: tuple[RoadGraph, BuildStats]) -> None:
    _, stats = built
    assert stats.ways_skipped == {"no vehicle may use highway=footway": 1}
    assert stats.loops_split == 1
    assert stats.ways_kept == 7
    assert stats.car_arcs == 12
    assert stats.motorbike_arcs == 13


def test_no_usable_road_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "paths.osm"
    path.write_text(
        """<?xml version='1.0' encoding='UTF-8'?><osm version="0.6">
        <node id="1" lat="10.78" lon="106.70"/><node id="2" lat="10.79" lon="106.70"/>
        <way id="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way></osm>""",
        encoding="utf-8",
    )
    with pytest.raises(GraphBuildError, match="no way is usable"):
        build_graph_with_stats(decode_osm(path))


def test_haversine_one_degree_of_latitude() -> None:
    metres = haversine_m(
        np.asarray([106.7]), np.asarray([10.0]), np.asarray([106.7]), np.asarray([11.0])
    )
    assert metres[0] == pytest.approx(111_195.08, abs=0.5)


def test_validate_rejects_broken_graphs(built: tuple[RoadGraph, BuildStats]) -> None:
    graph, _ = built
    with pytest.raises(GraphValidationError, match="dtype"):
        dataclasses.replace(graph, head=graph.head.astype(np.int64)).validate()
    with pytest.raises(GraphValidationError, match="not sorted by tail"):
        dataclasses.replace(graph, tail=graph.tail[::-1].copy()).validate()
    with pytest.raises(GraphValidationError, match="shape"):
        dataclasses.replace(graph, arc_length_m=graph.arc_length_m[:-1]).validate()


@pytest.mark.needs_data
def test_real_hcmc_matches_reference_graph(data_dir: Path) -> None:
    roads = data_dir / "roads"
    result = build_from_file(roads / "hcmc_osm_2018-01-01.osm.pbf")
    graph = result.graph
    with gzip.open(roads / "hcmc_drive_2018_nodes.csv.gz", "rt", encoding="utf-8") as stream:
        reference_nodes = {int(row["osm_node_id"]) for row in csv.DictReader(stream)}
    assert len(reference_nodes) == 57_032
    ours = set(graph.node_osm_id.tolist())
    # differences are explained: motorbike tracks, loop cuts, motor_vehicle=no (see report)
    assert len(reference_nodes - ours) < 50
    assert abs(graph.node_count - 57_032) < 0.01 * 57_032
    assert abs(graph.arc_count - 143_240) < 0.01 * 143_240
    assert result.stats.restrictions_resolved >= 40
    assert result.decode_seconds + result.build_seconds < 60
