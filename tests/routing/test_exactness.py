"""The service's engines give exactly plain Dijkstra's cost, before and after live updates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.helpers import dijkstra_costs, expanded_matrix
from smartcity.core.db import Database
from smartcity.core.events import DomainEvent, get_bus
from smartcity.routing.service import routing


def _assert_exact(database: Database, profile: str, seed: int, pairs: int) -> None:
    with database.session() as session:
        network = routing.network(session)
    engine = network.profiles[profile].variants[(True, True)]
    matrix = expanded_matrix(engine)
    rng = np.random.default_rng(seed)
    node_count = engine.input_node_count
    for source in rng.integers(0, node_count, pairs).tolist():
        expected = dijkstra_costs(engine, matrix, source)
        for target in rng.integers(0, node_count, 5).tolist():
            route = engine.route([(source, 0)], [(target, 0)])
            got = np.inf if route is None else route.cost_ms
            assert got == expected[target], (profile, source, target)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1), profile=st.sampled_from(["car", "motorbike"]))
def test_small_city_costs_equal_dijkstra_under_random_live_speeds(
    small_network: Path, database: Database, seed: int, profile: str
) -> None:
    with database.session() as session:
        network = routing.network(session)
    rng = np.random.default_rng(seed)
    segments = rng.choice(network.index.graph.segment_count, size=50, replace=False)
    speeds = {int(s): float(rng.uniform(2, 60)) for s in segments}
    get_bus().publish(
        DomainEvent(
            "traffic.speeds_updated",
            {"network_version": network.version, "speeds_kmh": speeds},
        )
    )
    _assert_exact(database, profile, seed, pairs=4)
    clear: dict[int, float | None] = dict.fromkeys(speeds)
    get_bus().publish(
        DomainEvent(
            "traffic.speeds_updated", {"network_version": network.version, "speeds_kmh": clear}
        )
    )


@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1), profile=st.sampled_from(["car", "motorbike"]))
def test_hcmc_costs_equal_dijkstra(
    hcmc_network: Path, database: Database, seed: int, profile: str
) -> None:
    _assert_exact(database, profile, seed, pairs=3)
