"""Traffic test helpers: a stretch of road, and probes crawling along it (a jam)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from smartcity.accounts.schemas import ApiKeyCreate
from smartcity.accounts.service import accounts
from smartcity.core.db import Database
from smartcity.roads.service import roads
from smartcity.traffic.synthetic import drive, random_routes


def api_key(database: Database, *scopes: str) -> str:
    with database.session() as session:
        return accounts.create_api_key(
            session, data=ApiKeyCreate(name="test", scopes=list(scopes)), creator=None
        ).key


def stretch(database: Database, seed: int, min_m: float = 600, max_m: float = 1200) -> list[int]:
    """The arcs of a routed stretch of road between two random nodes."""
    with database.session() as session:
        graph = roads.index(session).graph
    rng = np.random.default_rng(seed)
    return random_routes(graph, 1, rng, min_length_m=min_m, max_length_m=max_m)[0]


def crawl(
    database: Database, arcs: list[int], *, vehicle: str, vehicles: int = 3, seed: int = 0
) -> list[dict[str, object]]:
    """Probe points of ``vehicles`` vehicles crawling along ``arcs`` at walking pace, ending
    just now (so the stretch has been congested for as long as the crawl took)."""
    with database.session() as session:
        graph = roads.index(session).graph
    rng = np.random.default_rng(seed)
    factor = np.full(graph.segment_count, 0.08)
    points: list[dict[str, object]] = []
    for number in range(vehicles):
        traces = drive(graph, [arcs], rng, noise_m=4.0, gap_probability=0.0,
                       interval_s=(8.0, 12.0), speed_factor=factor)  # fmt: skip
        end = datetime.now(UTC) - timedelta(seconds=2 + number)
        base = end - timedelta(seconds=float(traces.t.max()))
        points += [
            {
                "vehicle_id": f"{vehicle}-{number}",
                "time": (base + timedelta(seconds=float(traces.t[k]))).isoformat(),
                "lon": float(traces.lon[k]),
                "lat": float(traces.lat[k]),
            }
            for k in range(traces.point_count)
        ]
    return points


def segments_of(database: Database, arcs: list[int]) -> list[int]:
    with database.session() as session:
        graph = roads.index(session).graph
    return list(dict.fromkeys(int(graph.arc_segment[a]) for a in arcs))
