"""Exactness on random graphs: CCH cost == Dijkstra after full and partial customisation.

Graphs include one-way arcs, parallel arcs, self-loops, zero weights, closed arcs
and disconnected parts; with random turn bans the reference is an arc-based Dijkstra.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcity.routing_engine.engine import Engine
from smartcity.routing_engine.turns import Restrictions
from support.routing_reference import CLOSED, assert_valid_path, dijkstra_costs, turn_aware_cost

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def random_graphs(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, int]:
    node_count = draw(st.integers(2, 28))
    arc_count = draw(st.integers(0, 3 * node_count))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    tail = rng.integers(0, node_count, arc_count).astype(np.int32)
    # Mostly local arcs (planar-ish), some long ones, a few self-loops.
    head = np.clip(tail + rng.integers(-4, 5, arc_count), 0, node_count - 1).astype(np.int32)
    far = rng.random(arc_count) < 0.15
    head[far] = rng.integers(0, node_count, int(far.sum()))
    weight = rng.integers(0, 50, arc_count).astype(np.int64)  # zero weights included
    weight[rng.random(arc_count) < 0.1] = CLOSED
    return node_count, tail, head, weight, seed


def coordinates(node_count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed + 1)
    return 106.7 + rng.random(node_count) * 0.05, 10.78 + rng.random(node_count) * 0.05


def check_all_pairs(
    engine: Engine, node_count: int, tail: np.ndarray, head: np.ndarray, weight: np.ndarray
) -> None:
    for source in range(node_count):
        expected = dijkstra_costs(node_count, tail.tolist(), head.tolist(), weight.tolist(), source)
        for target in range(node_count):
            route = engine.route([(source, 0)], [(target, 0)])
            if expected[target] == float("inf"):
                assert route is None, (source, target)
                continue
            assert route is not None, (source, target)
            assert route.cost_ms == expected[target], (source, target)
            assert_valid_path(route.arcs, tail, head, weight, source, target, route.cost_ms)


@SETTINGS
@given(random_graphs(), st.data())
def test_cost_equals_dijkstra_after_full_and_partial_customisation(
    graph: tuple[int, np.ndarray, np.ndarray, np.ndarray, int], data: st.DataObject
) -> None:
    node_count, tail, head, weight, seed = graph
    lon, lat = coordinates(node_count, seed)
    engine = Engine.build(node_count, tail, head, lon, lat)
    engine.customize(weight)
    check_all_pairs(engine, node_count, tail, head, weight)
    if len(tail) == 0:
        return
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    changed = rng.choice(
        len(tail), size=min(len(tail), data.draw(st.integers(1, 8))), replace=False
    )
    new = rng.integers(0, 80, len(changed)).astype(np.int64)
    new[rng.random(len(changed)) < 0.3] = CLOSED
    weight = weight.copy()
    weight[changed] = new
    engine.update(changed, new)
    check_all_pairs(engine, node_count, tail, head, weight)


@SETTINGS
@given(random_graphs(), st.data())
def test_cost_equals_turn_aware_dijkstra_with_random_bans(
    graph: tuple[int, np.ndarray, np.ndarray, np.ndarray, int], data: st.DataObject
) -> None:
    node_count, tail, head, weight, seed = graph
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    turns = [(a, b) for a in range(len(tail)) for b in range(len(tail)) if head[a] == tail[b]]
    chosen = [turns[i] for i in rng.permutation(len(turns))[: len(turns) // 3]]
    only = rng.random(len(chosen)) < 0.25
    banned: set[tuple[int, int]] = set()
    for (a, b), is_only in zip(chosen, only, strict=True):
        if is_only:
            banned |= {(a, c) for c in range(len(tail)) if tail[c] == head[a] and c != b}
        else:
            banned.add((a, b))
    # Several only_* rules on one arc allow each of their exits.
    for (a, b), is_only in zip(chosen, only, strict=True):
        if is_only:
            banned.discard((a, b))
    restrictions = Restrictions(
        from_arc=np.array([a for a, _ in chosen], dtype=np.int32),
        via_node=np.array([head[a] for a, _ in chosen], dtype=np.int32),
        to_arc=np.array([b for _, b in chosen], dtype=np.int32),
        only=only,
        access=np.full(len(chosen), 0xFF, dtype=np.uint8),
    )
    lon, lat = coordinates(node_count, seed)
    engine = Engine.build(node_count, tail, head, lon, lat, restrictions)
    engine.customize(weight)
    for source in range(node_count):
        for target in range(node_count):
            expected = turn_aware_cost(node_count, tail, head, weight, banned, source, target)
            route = engine.route([(source, 0)], [(target, 0)])
            if expected == float("inf"):
                assert route is None, (source, target)
                continue
            assert route is not None, (source, target)
            assert route.cost_ms == expected, (source, target)
            assert_valid_path(route.arcs, tail, head, weight, source, target, route.cost_ms)
            assert not any(
                (int(a), int(b)) in banned
                for a, b in zip(route.arcs[:-1], route.arcs[1:], strict=True)
            )
