"""CCH structure invariants, ordering quality, and partial == full customisation."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from smartcity.routing_engine.cch import CCH, build_cch
from smartcity.routing_engine.customize import INF_WEIGHT, Metric
from smartcity.routing_engine.engine import Engine
from smartcity.routing_engine.order import nested_dissection_order
from smartcity.routing_engine.synthetic import road_like_grid
from support.routing_reference import grid, grid_coordinates


def grid_cch(width: int = 12, height: int = 10) -> tuple[CCH, np.ndarray, np.ndarray]:
    n, tail, head = grid(width, height)
    lon, lat = grid_coordinates(width, height)
    order = nested_dissection_order(n, tail, head, lon, lat)
    return build_cch(n, tail, head, order), tail, head


def test_order_is_a_permutation() -> None:
    graph = road_like_grid(20, 20, seed=3)
    order = nested_dissection_order(graph.node_count, graph.tail, graph.head, graph.lon, graph.lat)
    assert sorted(order.tolist()) == list(range(graph.node_count))


def test_supergraph_is_chordal_and_parent_is_lowest_upper_neighbour() -> None:
    cch, _, _ = grid_cch()
    for v in range(cch.node_count):
        upper = cch.up_head[cch.up_first_out[v] : cch.up_first_out[v + 1]]
        assert np.all(upper > v)
        assert np.all(np.diff(upper) > 0)
        if len(upper) == 0:
            assert cch.parent[v] == -1
            continue
        parent = int(upper[0])
        assert cch.parent[v] == parent
        parent_upper = set(cch.up_head[cch.up_first_out[parent] : cch.up_first_out[parent + 1]])
        assert set(upper[1:].tolist()) <= parent_upper


def test_every_input_arc_maps_to_the_arc_joining_its_ranks() -> None:
    cch, tail, head = grid_cch()
    mapped = cch.input_cch_arc
    assert np.all(mapped >= 0)
    low = np.minimum(cch.rank[tail], cch.rank[head])
    high = np.maximum(cch.rank[tail], cch.rank[head])
    assert np.array_equal(cch.up_tail[mapped], low)
    assert np.array_equal(cch.up_head[mapped], high)
    assert np.array_equal(cch.input_is_up, cch.rank[tail] < cch.rank[head])


def test_lower_triangles_close_their_top_arc() -> None:
    cch, _, _ = grid_cch()
    top = np.repeat(np.arange(cch.arc_count), np.diff(cch.triangle_first))
    low_x = cch.triangle_low_tail
    low_y = cch.triangle_low_head
    assert np.array_equal(cch.up_tail[low_x], cch.up_tail[low_y])  # shared lower node z
    assert np.array_equal(cch.up_head[low_x], cch.up_tail[top])
    assert np.array_equal(cch.up_head[low_y], cch.up_head[top])
    assert np.all(low_x < top)
    assert np.all(low_y < top)


def test_nested_dissection_beats_a_random_order() -> None:
    graph = road_like_grid(30, 30, seed=5)
    nd = nested_dissection_order(graph.node_count, graph.tail, graph.head, graph.lon, graph.lat)
    shuffled = np.random.default_rng(0).permutation(graph.node_count).astype(np.int32)
    nd_arcs = build_cch(graph.node_count, graph.tail, graph.head, nd).arc_count
    random_arcs = build_cch(graph.node_count, graph.tail, graph.head, shuffled).arc_count
    assert nd_arcs * 3 < random_arcs


def test_partial_customisation_equals_full_customisation() -> None:
    graph = road_like_grid(25, 25, seed=11)
    order = nested_dissection_order(graph.node_count, graph.tail, graph.head, graph.lon, graph.lat)
    cch = build_cch(graph.node_count, graph.tail, graph.head, order)
    rng = np.random.default_rng(2)
    weights = graph.travel_time_ms.copy()
    partial = Metric(cch, weights)
    for round_index in range(6):
        changed = rng.choice(len(weights), size=40, replace=False)
        new = rng.integers(0, 60_000, size=len(changed))
        new[rng.random(len(changed)) < 0.3] = 2**32 - 1  # flooded: closed
        if round_index % 2:
            new[:10] = graph.travel_time_ms[changed[:10]]  # water receded
        weights[changed] = new
        partial.update(changed, new)
        full = Metric(cch, weights)
        assert np.array_equal(partial.up_weight, full.up_weight)
        assert np.array_equal(partial.down_weight, full.down_weight)
        assert np.array_equal(partial.up_via, full.up_via)
        assert np.array_equal(partial.down_via, full.down_via)
    assert np.any(partial.up_weight >= INF_WEIGHT)


def test_partial_update_touches_few_arcs() -> None:
    graph = road_like_grid(25, 25, seed=11)
    order = nested_dissection_order(graph.node_count, graph.tail, graph.head, graph.lon, graph.lat)
    cch = build_cch(graph.node_count, graph.tail, graph.head, order)
    metric = Metric(cch, graph.travel_time_ms)
    recomputed = metric.update([0], [graph.travel_time_ms[0] * 5])
    assert 1 <= recomputed < cch.arc_count // 4
    assert metric.update([0], [graph.travel_time_ms[0] * 5]) == 1  # no change: stops at once


def test_saved_structure_routes_like_the_original(tmp_path: Path) -> None:
    graph = road_like_grid(15, 15, seed=4)
    engine = Engine.build(graph.node_count, graph.tail, graph.head, graph.lon, graph.lat)
    engine.customize(graph.travel_time_ms)
    engine.save(tmp_path / "engine.npz")
    loaded = Engine.load(tmp_path / "engine.npz")
    loaded.customize(graph.travel_time_ms)
    assert loaded.cch.arc_count == engine.cch.arc_count
    for source, target in [(0, 224), (17, 150), (99, 3)]:
        a = engine.route([(source, 0)], [(target, 0)])
        b = loaded.route([(source, 0)], [(target, 0)])
        assert (a is None) == (b is None)
        if a is not None and b is not None:
            assert a.cost_ms == b.cost_ms
            assert np.array_equal(a.arcs, b.arcs)
