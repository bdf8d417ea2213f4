"""Elimination-tree queries: several weighted sources/targets, reuse, unreachable cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from smartcity.routing_engine.engine import Engine
from smartcity.routing_engine.synthetic import road_like_grid
from support.routing_reference import assert_valid_path, dijkstra_costs

GRAPH = road_like_grid(18, 16, seed=21)


def _largest_strong_component() -> list[int]:
    matrix = csr_matrix(
        (np.ones(len(GRAPH.tail)), (GRAPH.tail, GRAPH.head)),
        shape=(GRAPH.node_count, GRAPH.node_count),
    )
    _, labels = connected_components(matrix, directed=True, connection="strong")
    return np.flatnonzero(labels == np.bincount(labels).argmax()).tolist()


CORE = _largest_strong_component()
FAR_A, FAR_B = CORE[0], CORE[-1]


@pytest.fixture(scope="module")
def engine() -> Engine:
    built = Engine.build(GRAPH.node_count, GRAPH.tail, GRAPH.head, GRAPH.lon, GRAPH.lat)
    built.customize(GRAPH.travel_time_ms)
    return built


def all_costs(source: int) -> list[float]:
    return dijkstra_costs(
        GRAPH.node_count,
        GRAPH.tail.tolist(),
        GRAPH.head.tolist(),
        GRAPH.travel_time_ms.tolist(),
        source,
    )


def test_single_pair_matches_dijkstra_and_path_is_consistent(engine: Engine) -> None:
    rng = np.random.default_rng(0)
    for source in rng.integers(0, GRAPH.node_count, size=8).tolist():
        costs = all_costs(source)
        for target in rng.integers(0, GRAPH.node_count, size=10).tolist():
            route = engine.route([(source, 0)], [(target, 0)])
            if costs[target] == float("inf"):
                assert route is None
                continue
            assert route is not None
            assert route.cost_ms == costs[target]
            assert_valid_path(
                route.arcs,
                GRAPH.tail,
                GRAPH.head,
                GRAPH.travel_time_ms,
                source,
                target,
                route.cost_ms,
            )


def test_weighted_sources_and_targets_pick_the_cheapest_combination(engine: Engine) -> None:
    # A snapped point on an arc: leave via the head (remaining time) or the tail.
    sources = [(5, 1200), (40, 300)]
    targets = [(200, 0), (230, 5000)]
    expected = min(
        (s_off + all_costs(s)[t] + t_off, s, t) for s, s_off in sources for t, t_off in targets
    )
    route = engine.route(sources, targets)
    assert route is not None
    assert route.cost_ms == expected[0]
    assert (route.source_node, route.target_node) == expected[1:]
    path_cost = int(GRAPH.travel_time_ms[route.arcs].sum())
    assert (
        path_cost + dict(sources)[route.source_node] + dict(targets)[route.target_node]
        == route.cost_ms
    )


def test_source_equal_to_target_is_free(engine: Engine) -> None:
    route = engine.route([(7, 0)], [(7, 0)])
    assert route is not None
    assert route.cost_ms == 0
    assert len(route.arcs) == 0


def test_reused_query_gives_the_same_answers(engine: Engine) -> None:
    pairs = [(FAR_A, FAR_B), (FAR_B, FAR_A), (CORE[3], CORE[-4]), (FAR_A, FAR_B)]
    first = [engine.route([(s, 0)], [(t, 0)]) for s, t in pairs]
    second = [engine.route([(s, 0)], [(t, 0)]) for s, t in reversed(pairs)]
    assert [r.cost_ms if r else None for r in first] == [
        r.cost_ms if r else None for r in reversed(second)
    ]


def test_closing_every_exit_makes_the_target_unreachable() -> None:
    engine = Engine.build(GRAPH.node_count, GRAPH.tail, GRAPH.head, GRAPH.lon, GRAPH.lat)
    engine.customize(GRAPH.travel_time_ms)
    source = CORE[len(CORE) // 2]
    exits = np.flatnonzero(GRAPH.tail == source)
    engine.update(exits, np.full(len(exits), 2**32 - 1))
    assert engine.route([(source, 0)], [(FAR_A, 0)]) is None
    engine.update(exits, GRAPH.travel_time_ms[exits])
    reopened = engine.route([(source, 0)], [(FAR_A, 0)])
    assert reopened is not None
    assert reopened.cost_ms == all_costs(source)[FAR_A]


def test_a_flooded_street_reroutes_and_costs_more(engine: Engine) -> None:
    local = Engine.build(GRAPH.node_count, GRAPH.tail, GRAPH.head, GRAPH.lon, GRAPH.lat)
    local.customize(GRAPH.travel_time_ms)
    before = local.route([(FAR_A, 0)], [(FAR_B, 0)])
    assert before is not None
    flooded = before.arcs[len(before.arcs) // 2]
    local.update([flooded], [2**32 - 1])
    after = local.route([(FAR_A, 0)], [(FAR_B, 0)])
    assert after is not None
    assert flooded not in after.arcs.tolist()
    assert after.cost_ms >= before.cost_ms


def test_bad_inputs_are_rejected(engine: Engine) -> None:
    assert engine.route([], [(1, 0)]) is None
    with pytest.raises(ValueError, match="non-negative"):
        engine.route([(1, -5)], [(2, 0)])
    with pytest.raises(ValueError, match="non-negative"):
        engine.customize(-GRAPH.travel_time_ms)
