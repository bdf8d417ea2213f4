"""Routing on the real 2018 HCMC network: our CCH service vs Valhalla vs networkx, in one run.

Run (once Valhalla tiles exist, see docs/benchmarks.md for the tile build and the raised
exclude-polygon limits this script writes into var/bench/valhalla/valhalla.json):
    PATH="$PWD/.venv/bin:$PATH" uv run python bench/routing.py [--pairs 1000] [--nx-pairs 200]

Scenarios: free flow, and "live" = 20 flooded areas (ours: flood.segments_changed with
50 cm on the segments inside them -> closed for both vehicles; Valhalla: exclude_polygons;
networkx: the same closed arcs removed) plus 5 % of segments jammed to 30 % of their
free-flow speed (ours and networkx only: Valhalla has no live speeds in-process).
Ours is timed twice: the engine query (node to node, what Valhalla's path search does)
and the full service call (snap both points, query, geometry, steps, notices).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("SMARTCITY_VAR_DIR", str(ROOT / "var" / "bench" / "smartcity"))
os.environ.setdefault("SMARTCITY_ENV", "testing")

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import shapely  # noqa: E402

from smartcity.bootstrap import prepare_database  # noqa: E402
from smartcity.config import get_settings  # noqa: E402
from smartcity.core.db import Database, set_database  # noqa: E402
from smartcity.core.events import DomainEvent, get_bus  # noqa: E402
from smartcity.models_registry import import_all_models  # noqa: E402
from smartcity.roads import repository as roads_repository  # noqa: E402
from smartcity.roads.service import HCMC_EXTRACT_NAME, roads  # noqa: E402
from smartcity.routing.schemas import RouteRequest  # noqa: E402
from smartcity.routing.service import NetworkRouting, routing  # noqa: E402
from smartcity.routing_engine.artefact import sha256_file  # noqa: E402
from smartcity.routing_engine.customize import INF_WEIGHT  # noqa: E402
from smartcity.routing_engine.engine import Engine  # noqa: E402

VALHALLA_DIR = ROOT / "var" / "bench" / "valhalla"
COSTING = {"car": "auto", "motorbike": "motor_scooter"}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def ms(samples: list[float], q: float) -> float:
    return float(np.percentile(samples, q) * 1000) if samples else float("nan")


def prepared_database(pbf: Path) -> Database:
    """The bench's own database under var/bench (never the developer's), network imported."""
    import_all_models()
    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.effective_database_url)
    set_database(database)
    prepare_database(database)
    with database.session() as session:
        active = roads_repository.active_network(session)
    if active is None or active.source_sha256 != sha256_file(pbf):
        started = time.perf_counter()
        roads.import_osm(database, pbf)
        print(f"imported {pbf.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    routing.subscribe(get_bus())
    return database


def nx_graph(engine: Engine) -> tuple[nx.DiGraph, dict[int, Any]]:
    """networkx on the same turn-expanded graph and weights; one sink per split node."""
    expanded = engine.expanded
    weights = engine.input_weight_ms[expanded.arc_origin]
    graph = nx.DiGraph()
    for tail, head, weight in zip(
        expanded.tail.tolist(), expanded.head.tolist(), weights.tolist(), strict=True
    ):
        if weight >= INF_WEIGHT:
            continue
        if not graph.has_edge(tail, head) or graph[tail][head]["weight"] > weight:
            graph.add_edge(tail, head, weight=weight)
    sinks: dict[int, Any] = {}
    origin = expanded.node_origin
    for copy in range(engine.input_node_count, expanded.node_count):
        node = int(origin[copy])
        sink = sinks.setdefault(node, ("sink", node))
        graph.add_edge(copy, sink, weight=0)
        graph.add_edge(node, sink, weight=0)
    return graph, sinks


def flood_areas(network: NetworkRouting, rng: np.random.Generator, count: int) -> list[Any]:
    graph = network.index.graph
    centres = rng.choice(graph.node_count, size=count, replace=False)
    areas = []
    for node in centres.tolist():
        lon, lat = float(graph.node_lon[node]), float(graph.node_lat[node])
        radius_deg = float(rng.uniform(150, 400)) / 110_000
        areas.append(shapely.Point(lon, lat).buffer(radius_deg, quad_segs=4))
    return areas


def run(args: argparse.Namespace) -> None:
    from valhalla import Actor

    pbf = get_settings().data_dir / "roads" / HCMC_EXTRACT_NAME if get_settings().data_dir else None
    if pbf is None or not pbf.is_file():
        sys.exit("real HCMC extract not found (shared/data/roads)")
    database = prepared_database(pbf)
    rss_start = rss_mb()
    started = time.perf_counter()
    with database.session() as session:
        network = routing.network(session)
    load_s = time.perf_counter() - started
    rss_ours = rss_mb()
    graph = network.index.graph
    version = network.version
    rng = np.random.default_rng(args.seed)

    # Pairs: junctions both vehicles can use, inside the city (the graph is the city extract).
    usable = np.zeros(graph.node_count, dtype=bool)
    both = graph.arc_access == 3
    usable[graph.tail[both]] = True
    usable[graph.head[both]] = True
    candidates = np.flatnonzero(usable)
    pairs = rng.choice(candidates, size=(args.pairs, 2))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    points = [
        (
            (float(graph.node_lon[s]), float(graph.node_lat[s])),
            (float(graph.node_lon[t]), float(graph.node_lat[t])),
        )
        for s, t in pairs.tolist()
    ]

    # Default limits refuse 20 flood areas (10 km of perimeter, 100 vertices in all).
    config_path = VALHALLA_DIR / "valhalla.json"
    config = json.loads(config_path.read_text())
    config["service_limits"]["max_exclude_polygons_length"] = 1_000_000
    config["service_limits"]["max_exclude_polygons_vertices"] = 10_000
    config_path.write_text(json.dumps(config, indent=2))
    started = time.perf_counter()
    actor = Actor(str(config_path))
    valhalla_load_s = time.perf_counter() - started
    rss_valhalla = rss_mb()

    areas = flood_areas(network, rng, 20)
    flooded_segments = np.unique(network.index.tree.query(areas, predicate="intersects")[1])
    jam_segments = rng.choice(graph.segment_count, size=graph.segment_count // 20, replace=False)
    free_speed = np.zeros(graph.segment_count)
    np.maximum.at(free_speed, graph.arc_segment, graph.arc_maxspeed_kmh)
    rings = [[list(c) for c in area.exterior.coords] for area in areas]

    rows: list[tuple[str, ...]] = []
    agreement: dict[str, int] = {}
    for scenario in ("free flow", "live"):
        if scenario == "live":
            get_bus().publish(
                DomainEvent(
                    "flood.segments_changed",
                    {
                        "network_version": version,
                        "depth_cm": dict.fromkeys(flooded_segments.tolist(), 50.0),
                    },
                )
            )
            get_bus().publish(
                DomainEvent(
                    "traffic.speeds_updated",
                    {
                        "network_version": version,
                        "speeds_kmh": {int(s): float(free_speed[s]) * 0.3 for s in jam_segments},
                    },
                )
            )
        for profile in ("motorbike", "car"):
            engine = network.profiles[profile].variants[(True, True)]
            engine.route([(0, 0)], [(1, 0)])  # warm-up (numba)
            ours: list[float] = []
            costs: list[float] = []
            for s, t in pairs.tolist():
                t0 = time.perf_counter()
                found = engine.route([(s, 0)], [(t, 0)])
                ours.append(time.perf_counter() - t0)
                costs.append(np.inf if found is None else found.cost_ms)
            service: list[float] = []
            with database.session() as session:
                for origin, destination in points:
                    request = RouteRequest(origin=origin, destination=destination, profile=profile)  # type: ignore[arg-type]
                    t0 = time.perf_counter()
                    with contextlib.suppress(Exception):
                        routing.route(session, request, "vi")
                    service.append(time.perf_counter() - t0)
            valhalla: list[float] = []
            valhalla_failed = 0
            for (olon, olat), (dlon, dlat) in points:
                query: dict[str, Any] = {
                    "locations": [{"lon": olon, "lat": olat}, {"lon": dlon, "lat": dlat}],
                    "costing": COSTING[profile],
                    "directions_type": "none",
                }
                if scenario == "live":
                    query["exclude_polygons"] = rings
                t0 = time.perf_counter()
                try:
                    actor.route(query)
                except RuntimeError:
                    valhalla_failed += 1
                valhalla.append(time.perf_counter() - t0)
            nx_times: list[float] = []
            mismatches = 0
            checked = 0
            if args.nx_pairs:
                nx_g, sinks = nx_graph(engine)
                for (s, t), cost in list(zip(pairs.tolist(), costs, strict=True))[: args.nx_pairs]:
                    target = sinks.get(t, t)
                    t0 = time.perf_counter()
                    try:
                        expected = float(nx.dijkstra_path_length(nx_g, s, target, weight="weight"))
                    except (nx.NetworkXNoPath, nx.NodeNotFound):
                        expected = np.inf
                    nx_times.append(time.perf_counter() - t0)
                    checked += 1
                    mismatches += expected != cost
                agreement[f"{scenario} / {profile}"] = mismatches
            rows.append((
                scenario, profile,
                f"{ms(ours, 50):.3f} / {ms(ours, 95):.3f}",
                f"{ms(service, 50):.2f} / {ms(service, 95):.2f}",
                f"{ms(valhalla, 50):.2f} / {ms(valhalla, 95):.2f} ({valhalla_failed} no route)",
                f"{ms(nx_times, 50):.1f} / {ms(nx_times, 95):.1f} (n={checked})",
                f"{ms(valhalla, 50) / ms(ours, 50):.0f}x",
                f"{ms(valhalla, 50) / ms(service, 50):.1f}x",
                f"{mismatches}/{checked}",
            ))  # fmt: skip

    # Live update: 10,000 segment speeds through the traffic.speeds_updated handler.
    changed = rng.choice(graph.segment_count, size=10_000, replace=False)
    update = {int(s): float(free_speed[s]) * float(rng.uniform(0.2, 0.9)) for s in changed}
    metrics = sum(len(p.variants) for p in network.profiles.values())
    t0 = time.perf_counter()
    get_bus().publish(
        DomainEvent("traffic.speeds_updated", {"network_version": version, "speeds_kmh": update})
    )
    update_s = time.perf_counter() - t0
    engine = network.profiles["car"].variants[(True, True)]
    arcs = rng.choice(graph.arc_count, size=10_000, replace=False)
    weights = engine.input_weight_ms[arcs] * 2
    t0 = time.perf_counter()
    engine.update(arcs, np.minimum(weights, INF_WEIGHT))
    engine_update_s = time.perf_counter() - t0

    header = ("scenario", "profile", "ours engine p50/p95 ms", "ours service p50/p95 ms",
              "Valhalla p50/p95 ms", "networkx p50/p95 ms", "Valhalla/engine", "Valhalla/service",
              "cost mismatches")  # fmt: skip
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"HCMC 2018: {graph.node_count} nodes, {graph.arc_count} arcs, {graph.segment_count} segments; "
          f"{len(pairs)} seeded pairs (seed {args.seed}); 20 flooded areas = {len(flooded_segments)} segments; "
          f"{len(jam_segments)} jammed segments")  # fmt: skip
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    print(
        f"live update, 10,000 segments via traffic.speeds_updated ({metrics} metrics): {update_s * 1000:.0f} ms"
    )
    print(f"engine.update, 10,000 arcs (one metric): {engine_update_s * 1000:.0f} ms")
    print(
        f"our engines load/build: {load_s:.2f} s; RSS {rss_start:.0f} -> {rss_ours:.0f} MB (+{rss_ours - rss_start:.0f})"
    )
    print(
        f"Valhalla actor load: {valhalla_load_s:.2f} s; RSS +{rss_valhalla - rss_ours:.0f} MB; "
        f"tiles {sum(f.stat().st_size for f in (VALHALLA_DIR / 'tiles').rglob('*') if f.is_file()) / 1e6:.0f} MB"
    )
    print(f"cost agreement with exact Dijkstra (networkx, same graph and weights): {agreement}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--nx-pairs", type=int, default=1000, help="pairs also run with networkx")
    parser.add_argument("--seed", type=int, default=2026)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
