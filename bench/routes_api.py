"""POST /api/v1/routes end to end (real app, HTTP through a live uvicorn on 127.0.0.1).

Run: uv run python bench/routes_api.py [--requests 500]
Uses the bench database under var/bench/smartcity (imported by bench/routing.py if needed).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

import httpx
import numpy as np
import uvicorn

from bench.routing import ms, prepared_database
from smartcity.config import get_settings
from smartcity.main import create_app
from smartcity.roads.service import HCMC_EXTRACT_NAME
from smartcity.routing.service import routing


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    data_dir = get_settings().data_dir
    if data_dir is None:
        sys.exit("real HCMC data not found")
    database = prepared_database(data_dir / "roads" / HCMC_EXTRACT_NAME)
    with database.session() as session:
        graph = routing.network(session).index.graph
    app = create_app(database=database)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=8765, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    rng = np.random.default_rng(args.seed)
    both = np.flatnonzero(graph.arc_access == 3)
    nodes = np.unique(graph.tail[both])
    timings: dict[str, list[float]] = {"plain": [], "alternatives=2": []}
    statuses: dict[int, int] = {}
    with httpx.Client(base_url="http://127.0.0.1:8765") as client:
        for k in range(args.requests):
            s, t = rng.choice(nodes, size=2, replace=False)
            kind = "plain" if k % 2 == 0 else "alternatives=2"
            body = {
                "origin": [float(graph.node_lon[s]), float(graph.node_lat[s])],
                "destination": [float(graph.node_lon[t]), float(graph.node_lat[t])],
                "profile": "motorbike" if k % 4 < 2 else "car",
                "alternatives": 0 if kind == "plain" else 2,
            }
            started = time.perf_counter()
            response = client.post("/api/v1/routes", json=body)
            timings[kind].append(time.perf_counter() - started)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    server.should_exit = True
    every = timings["plain"] + timings["alternatives=2"]
    print(f"POST /api/v1/routes over HTTP, {args.requests} requests, statuses {statuses}")
    for name, samples in [*timings.items(), ("all", every)]:
        print(
            f"  {name:<15} p50 {ms(samples, 50):.1f} ms  p95 {ms(samples, 95):.1f} ms  (n={len(samples)})"
        )


if __name__ == "__main__":
    main()
