"""Turn restrictions compiled by node splitting change routes exactly as banned turns should."""

from __future__ import annotations

import numpy as np
import pytest

from smartcity.routing_engine.engine import Engine
from smartcity.routing_engine.turns import Restrictions, expand_turns

# A plus-shaped junction at C with a slow bypass N -> W.
S, C, W, N, E = 0, 1, 2, 3, 4
EDGES = [(S, C, 1), (C, W, 1), (C, N, 1), (C, E, 1), (N, W, 5)]
TAIL = np.array([a for a, b, _ in EDGES] + [b for a, b, _ in EDGES], dtype=np.int32)
HEAD = np.array([b for a, b, _ in EDGES] + [a for a, b, _ in EDGES], dtype=np.int32)
WEIGHT = np.array([w for *_, w in EDGES] * 2, dtype=np.int64)
LON = np.array([106.70, 106.70, 106.69, 106.70, 106.71])
LAT = np.array([10.77, 10.78, 10.78, 10.79, 10.78])
CAR, MOTORBIKE = 1, 2


def arc(tail: int, head: int) -> int:
    return int(np.flatnonzero((tail == TAIL) & (head == HEAD))[0])


def restriction(from_arc: int, to_arc: int, *, only: bool, access: int = 0xFF) -> Restrictions:
    return Restrictions(
        from_arc=np.array([from_arc], dtype=np.int32),
        via_node=np.array([C], dtype=np.int32),
        to_arc=np.array([to_arc], dtype=np.int32),
        only=np.array([only]),
        access=np.array([access], dtype=np.uint8),
    )


def engine_with(restrictions: Restrictions | None, access_mask: int = 0xFF) -> Engine:
    engine = Engine.build(5, TAIL, HEAD, LON, LAT, restrictions, access_mask=access_mask)
    engine.customize(WEIGHT)
    return engine


def nodes_of(arcs: np.ndarray) -> list[int]:
    return [int(TAIL[arcs[0]]), *HEAD[arcs].tolist()]


def test_without_restrictions_the_left_turn_is_direct() -> None:
    route = engine_with(None).route([(S, 0)], [(W, 0)])
    assert route is not None
    assert route.cost_ms == 2
    assert nodes_of(route.arcs) == [S, C, W]


def test_banned_left_turn_forces_a_detour() -> None:
    engine = engine_with(restriction(arc(S, C), arc(C, W), only=False))
    route = engine.route([(S, 0)], [(W, 0)])
    assert route is not None
    # Cheapest legal way: out to a neighbouring arm and back into C from there.
    assert route.cost_ms == 4
    path = nodes_of(route.arcs)
    assert path[:2] == [S, C]
    assert path[2] in {N, E}
    assert path[3:] == [C, W]
    # The ban is only for that approach: from E the left turn into W is fine.
    from_east = engine.route([(E, 0)], [(W, 0)])
    assert from_east is not None
    assert from_east.cost_ms == 2


def test_only_straight_on_bans_every_other_exit() -> None:
    engine = engine_with(restriction(arc(S, C), arc(C, N), only=True))
    to_north = engine.route([(S, 0)], [(N, 0)])
    assert to_north is not None
    assert to_north.cost_ms == 2
    to_east = engine.route([(S, 0)], [(E, 0)])
    assert to_east is not None
    # Straight on to N, back to C (a fresh approach), then E.
    assert nodes_of(to_east.arcs) == [S, C, N, C, E]
    assert to_east.cost_ms == 4


def test_the_via_node_itself_stays_reachable() -> None:
    engine = engine_with(restriction(arc(S, C), arc(C, W), only=False))
    route = engine.route([(S, 0)], [(C, 0)])
    assert route is not None
    assert route.cost_ms == 1
    assert route.arcs.tolist() == [arc(S, C)]
    assert route.target_node == C


def test_restriction_for_another_vehicle_is_ignored() -> None:
    car_only = restriction(arc(S, C), arc(C, W), only=False, access=CAR)
    motorbike = engine_with(car_only, access_mask=MOTORBIKE).route([(S, 0)], [(W, 0)])
    car = engine_with(car_only, access_mask=CAR).route([(S, 0)], [(W, 0)])
    assert motorbike is not None
    assert car is not None
    assert (motorbike.cost_ms, car.cost_ms) == (2, 4)


def test_departing_after_an_arc_keeps_its_turn_ban() -> None:
    engine = engine_with(restriction(arc(S, C), arc(C, W), only=False))
    # A vehicle snapped onto S->C, 300 ms before C: it must not turn left at C.
    after = engine.node_after_arc(arc(S, C))
    assert after != C
    route = engine.route([(after, 300)], [(W, 0)])
    assert route is not None
    assert route.cost_ms == 300 + 3
    assert route.source_node == C


def test_inconsistent_restrictions_are_ignored() -> None:
    wrong_via = Restrictions(
        from_arc=np.array([arc(S, C)], dtype=np.int32),
        via_node=np.array([N], dtype=np.int32),
        to_arc=np.array([arc(C, W)], dtype=np.int32),
        only=np.array([False]),
        access=np.array([0xFF], dtype=np.uint8),
    )
    expanded = expand_turns(5, TAIL, HEAD, LON, LAT, wrong_via)
    assert expanded.node_count == 5
    assert len(expanded.tail) == len(TAIL)


def test_access_filter_drops_arcs_for_the_profile() -> None:
    access = np.full(len(TAIL), CAR | MOTORBIKE, dtype=np.uint8)
    access[arc(C, W)] = MOTORBIKE  # e.g. an alley cars cannot enter
    engine = Engine.build(5, TAIL, HEAD, LON, LAT, arc_access=access, access_mask=CAR)
    engine.customize(WEIGHT)
    route = engine.route([(S, 0)], [(W, 0)])
    assert route is not None
    assert nodes_of(route.arcs) == [S, C, N, W]
    assert engine.node_after_arc(arc(C, W)) == -1
    with pytest.raises(ValueError, match="expected"):
        engine.customize(WEIGHT[:-1])
