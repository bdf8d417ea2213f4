"""Traffic benchmark, one run: map matching ours vs Valhalla ``trace_attributes`` (accuracy and
throughput on the same simulated traces over the same real network), then end-to-end probe
ingest through the HTTP API (API → matched → live speeds), then the forecast table.

    uv run python bench/traffic.py [--traces 200] [--seed 7]

Needs the real 2018 HCMC extract (shared/data/roads) and pyvalhalla (dev dependency); builds
Valhalla tiles into var/bench/valhalla unless tiles.tar is already there.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
PBF = ROOT.parent / "shared" / "data" / "roads" / "hcmc_osm_2018-01-01.osm.pbf"
VALHALLA_DIR = ROOT / "var" / "bench" / "valhalla"


def valhalla_actor() -> object:
    import valhalla

    config = VALHALLA_DIR / "valhalla.json"
    if not (VALHALLA_DIR / "tiles.tar").is_file():
        (VALHALLA_DIR / "tiles").mkdir(parents=True, exist_ok=True)
        (VALHALLA_DIR / "tiles.tar").touch()  # get_config wants existing paths
        settings = valhalla.get_config(
            tile_extract=VALHALLA_DIR / "tiles.tar", tile_dir=VALHALLA_DIR / "tiles"
        )
        (VALHALLA_DIR / "tiles.tar").unlink()
        config.write_text(json.dumps(settings))
        binary = Path(valhalla.__file__).parent / "bin" / "valhalla_build_tiles"
        subprocess.run([str(binary), "-c", str(config), str(PBF)], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        script = Path(valhalla.__file__).parent / "valhalla_build_extract.py"
        subprocess.run([sys.executable, str(script), "-c", str(config)], check=True)
    return valhalla.Actor(str(config))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--traces", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--noise", type=float, default=20.0, help="GPS σ per axis (m)")
    args = parser.parse_args()

    from smartcity.roads.index import NetworkIndex, to_local_metres
    from smartcity.routing_engine.build import build_from_file
    from smartcity.routing_engine.graph import CAR
    from smartcity.traffic.matching import MatchNetwork, MatchParams, match
    from smartcity.traffic.synthetic import drive, random_routes

    print(f"network: {PBF.name}")
    graph = build_from_file(PBF).graph
    index = NetworkIndex.build("bench", graph)
    rng = np.random.default_rng(args.seed)
    routes = random_routes(graph, args.traces, rng, access_mask=CAR)
    traces = drive(graph, routes, rng, noise_m=args.noise)
    n = traces.point_count
    print(
        f"{len(routes)} car trips, {n} fixes, every 10–30 s, GPS noise σ = {args.noise:.0f} m "
        "per axis, 5 % gaps"
    )

    # --- ours ---------------------------------------------------------------------------
    network = MatchNetwork.build(graph, index.local_lines, index.local_tree, access_mask=CAR)
    x, y = to_local_metres(traces.lon, traces.lat)
    params = MatchParams()
    match(network, traces.trace_start[:3], traces.t, x, y, params)  # numba warm-up
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        result = match(network, traces.trace_start, traces.t, x, y, params)
        runs.append(time.perf_counter() - started)
    ours_rate = n / min(runs)
    matched = result.arc >= 0
    fraction = np.where(
        matched, result.offset_m / network.arc_length_m[np.maximum(result.arc, 0)], 0.0
    )
    along = np.where(graph.arc_forward[np.maximum(result.arc, 0)], fraction, 1 - fraction)
    ours_points = shapely.line_interpolate_point(
        index.local_lines[np.maximum(result.segment, 0)], along, normalized=True
    )
    truth_lines = index.local_lines[traces.true_segment]
    ours_geo = float(np.mean(matched & (shapely.distance(truth_lines, ours_points) <= 3.0)))
    ours_id = float(np.mean(result.segment == traces.true_segment))

    # --- Valhalla -----------------------------------------------------------------------
    actor = valhalla_actor()
    mlon = np.full(n, np.nan)
    mlat = np.full(n, np.nan)
    started = time.perf_counter()
    for i in range(len(traces.trace_start) - 1):
        a, b = int(traces.trace_start[i]), int(traces.trace_start[i + 1])
        request = {
            "shape": [
                {
                    "lat": float(traces.lat[k]),
                    "lon": float(traces.lon[k]),
                    "time": float(traces.t[k]),
                }
                for k in range(a, b)
            ],
            "costing": "auto",
            "shape_match": "map_snap",
            "filters": {"attributes": ["matched.point", "matched.type"], "action": "include"},
            "trace_options": {"gps_accuracy": args.noise, "search_radius": params.radius_m},
        }
        try:
            response = json.loads(actor.trace_attributes(json.dumps(request)))  # type: ignore[attr-defined]
        except RuntimeError:
            continue  # Valhalla found no match: those points count as wrong
        for k, point in enumerate(response["matched_points"]):
            if point.get("type") != "unmatched":
                mlon[a + k], mlat[a + k] = point["lon"], point["lat"]
    valhalla_rate = n / (time.perf_counter() - started)
    vx, vy = to_local_metres(mlon, mlat)
    vdist = shapely.distance(truth_lines, shapely.points(vx, vy))
    valhalla_geo = float(np.mean(~np.isnan(mlon) & (np.nan_to_num(vdist, nan=1e9) <= 3.0)))

    print("\nMap matching (same traces, same network; a fix is right when its matched position")
    print("lies within 3 m of the true segment):")
    print(f"{'':24}{'ours':>12}{'Valhalla':>12}{'ratio':>10}")
    print(f"{'accuracy':24}{ours_geo:>12.3f}{valhalla_geo:>12.3f}{ours_geo / valhalla_geo:>10.3f}")
    print(
        f"{'fixes per second':24}{ours_rate:>12,.0f}{valhalla_rate:>12,.0f}{ours_rate / valhalla_rate:>10.1f}x"
    )
    print(f"(ours, stricter: matched segment id == true segment id: {ours_id:.3f})")

    ingest_rate(traces)
    forecast_table()


def forecast_table() -> None:
    """The forecast vs persistence and the typical profile on the 2020 history."""
    from smartcity.config import get_settings
    from smartcity.traffic.cli import print_forecast
    from smartcity.traffic.forecast import evaluate, load_history

    settings = get_settings()
    history = load_history(PBF.parents[1] / "traffic")
    split = "2020-12-15"
    _profiles, evaluations = evaluate(
        history,
        datetime.fromisoformat(split).replace(tzinfo=UTC).timestamp(),
        window_s=settings.traffic_live_window_s,
        fit_days=settings.traffic_forecast_fit_days,
    )
    print()
    print_forecast(evaluations, split)


def ingest_rate(traces: object) -> None:
    """Post the traces as probe batches through the HTTP API of a live server."""
    import httpx
    import uvicorn

    tmp = Path(tempfile.mkdtemp(prefix="bench-traffic-"))
    os.environ["SMARTCITY_VAR_DIR"] = str(tmp)
    os.environ["SMARTCITY_OSM_FILE"] = str(PBF)
    from smartcity.accounts.schemas import ApiKeyCreate
    from smartcity.accounts.service import accounts
    from smartcity.bootstrap import prepare_database
    from smartcity.core.db import get_database
    from smartcity.main import create_app
    from smartcity.roads.service import roads
    from smartcity.traffic.service import traffic
    from smartcity.traffic.synthetic import Traces

    assert isinstance(traces, Traces)
    database = get_database()
    prepare_database(database)
    roads.ensure_network(database)
    with database.session() as session:
        key = accounts.create_api_key(
            session, data=ApiKeyCreate(name="bench", scopes=["traffic:ingest"]), creator=None
        ).key
        traffic.state(session)  # load the network and the matcher before timing
    app = create_app(database=database)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=8791, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = datetime.now(UTC).timestamp() - float(traces.t.max()) - 5
    batch_size = 2000
    bodies: list[dict[str, object]] = []
    points: list[dict[str, object]] = []
    stamps = [datetime.fromtimestamp(base + float(v), UTC).isoformat() for v in traces.t]
    for copy in range(6):  # the same trips driven by 6 fleets: more load, same truth
        for i in range(len(traces.trace_start) - 1):
            for k in range(int(traces.trace_start[i]), int(traces.trace_start[i + 1])):
                points.append(
                    {"vehicle_id": f"f{copy}-v{i}", "time": stamps[k],
                     "lon": float(traces.lon[k]), "lat": float(traces.lat[k])}
                )  # fmt: skip
            if len(points) >= batch_size:  # whole trips per batch: each vehicle in order
                bodies.append({"fleet": "bench", "points": points})
                points = []
    if points:
        bodies.append({"fleet": "bench", "points": points})
    # one vehicle's fixes must arrive in order: send batches one by one per client, with the
    # batches split by time so each client owns different vehicles
    headers = {"X-API-Key": key}
    with httpx.Client(base_url="http://127.0.0.1:8791", headers=headers, timeout=60) as client:
        client.post("/api/v1/traffic/probes", json=bodies[0])  # warm-up (not counted)
    accepted = 0
    started = time.perf_counter()

    def post(body: dict[str, object]) -> int:
        with httpx.Client(base_url="http://127.0.0.1:8791", headers=headers, timeout=60) as c:
            response = c.post("/api/v1/traffic/probes", json=body)
            response.raise_for_status()
            return int(response.json()["accepted"])

    with ThreadPoolExecutor(max_workers=2) as pool:
        accepted = sum(pool.map(post, bodies[1:]))
    elapsed = time.perf_counter() - started
    with database.session() as session:
        published = traffic.flush_changes(session)
    posted = sum(len(b["points"]) for b in bodies[1:])  # type: ignore[arg-type]
    print("\nEnd-to-end ingest through the HTTP API (uvicorn, 1 process, 2 client threads,")
    print(f"batches of {batch_size}; validate → match → live speeds):")
    print(f"  {posted} points posted, {accepted} accepted in {elapsed:.2f} s = "
          f"{posted / elapsed:,.0f} points/s (target 10,000: {posted / elapsed / 10_000:.2f}x); "
          f"{published} segments published")  # fmt: skip
    server.should_exit = True


if __name__ == "__main__":
    main()
