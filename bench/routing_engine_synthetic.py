"""Synthetic benchmark of the CCH routing core on a ~60k-node road-like graph.

Run: uv run python bench/routing_engine_synthetic.py [--size 245] [--queries 1000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from smartcity.routing_engine.engine import Engine
from smartcity.routing_engine.synthetic import road_like_grid


def percentile_ms(samples: list[float], q: float) -> float:
    return float(np.percentile(samples, q) * 1000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=245, help="grid side (245 -> ~60k nodes)")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--changed", type=int, default=10_000)
    args = parser.parse_args()
    rng = np.random.default_rng(42)
    graph = road_like_grid(args.size, args.size, seed=7)
    rows: list[tuple[str, str]] = [
        ("nodes / arcs", f"{graph.node_count} / {len(graph.tail)}"),
    ]

    started = time.perf_counter()
    engine = Engine.build(graph.node_count, graph.tail, graph.head, graph.lon, graph.lat)
    build_s = time.perf_counter() - started
    rows += [
        ("order (inertial flow ND)", f"{engine.timings.order_s:.2f} s"),
        ("contraction + triangles", f"{engine.timings.contract_s:.2f} s"),
        ("build total", f"{build_s:.2f} s"),
        ("CCH arcs / triangles", f"{engine.cch.arc_count} / {engine.cch.triangle_count}"),
    ]

    engine.customize(graph.travel_time_ms)  # warm-up (numba cache load)
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        engine.customize(graph.travel_time_ms)
        timings.append(time.perf_counter() - started)
    rows.append(("full customisation (best of 5)", f"{min(timings) * 1000:.1f} ms"))

    changed = rng.choice(len(graph.tail), size=min(args.changed, len(graph.tail)), replace=False)
    jammed = graph.travel_time_ms[changed] * rng.integers(2, 6, len(changed))
    started = time.perf_counter()
    recomputed = engine.update(changed, jammed)
    rows.append(
        (
            f"partial update, {len(changed)} arcs",
            f"{(time.perf_counter() - started) * 1000:.1f} ms ({recomputed} CCH arcs recomputed)",
        )
    )
    weights = graph.travel_time_ms.copy()
    weights[changed] = jammed
    started = time.perf_counter()
    engine.update(changed[:100], np.full(100, 2**32 - 1))
    rows.append(
        ("partial update, 100 arcs closed", f"{(time.perf_counter() - started) * 1000:.2f} ms")
    )
    engine.update(changed[:100], jammed[:100])

    pairs = rng.integers(0, graph.node_count, size=(args.queries, 2))
    engine.route([(0, 0)], [(1, 0)])  # warm-up
    query_times = []
    found = 0
    for source, target in pairs.tolist():
        started = time.perf_counter()
        route = engine.route([(source, 0)], [(target, 0)])
        query_times.append(time.perf_counter() - started)
        found += route is not None
    rows.append(
        (
            f"CCH query + unpack ({found}/{args.queries} reachable)",
            f"p50 {percentile_ms(query_times, 50):.3f} ms, p95 {percentile_ms(query_times, 95):.3f} ms",
        )
    )

    # scipy wants one entry per (tail, head): keep the cheapest parallel arc.
    order = np.lexsort((weights, graph.head, graph.tail))
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = (graph.tail[order][1:] != graph.tail[order][:-1]) | (
        graph.head[order][1:] != graph.head[order][:-1]
    )
    chosen = order[keep]
    matrix = csr_matrix(
        (weights[chosen].astype(np.float64), (graph.tail[chosen], graph.head[chosen])),
        shape=(graph.node_count, graph.node_count),
    )
    dijkstra_times = []
    mismatches = 0
    for source, target in pairs[:100].tolist():
        started = time.perf_counter()
        dist = dijkstra(matrix, indices=source, min_only=True)
        dijkstra_times.append(time.perf_counter() - started)
        route = engine.route([(source, 0)], [(target, 0)])
        cch_cost = float("inf") if route is None else route.cost_ms
        mismatches += cch_cost != dist[target]
    rows.append(
        (
            "scipy Dijkstra single source (100 pairs)",
            f"p50 {percentile_ms(dijkstra_times, 50):.1f} ms ({mismatches} cost mismatches vs CCH)",
        )
    )

    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
