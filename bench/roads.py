"""Road network benchmark (issue 3): import time and peak memory for the real HCMC extract
and the city-size synthetic network, and vector-tile latency at city and street zoom.

Anchors, measured in the same run:
* import: a bare pyosmium pass over the same file with node locations (the floor any
  OSM importer pays before doing anything with the data);
* tiles: the same tile bytes served as static files by Starlette (the floor for any
  dynamic tile server).

    uv run python bench/roads.py [--tiles 300]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SMARTCITY_DATA_DIR", ROOT.parent / "shared" / "data"))
HCMC = DATA / "roads" / "hcmc_osm_2018-01-01.osm.pbf"
#: Central HCMC, where tiles are densest.
CENTRE_BBOX = (106.62, 10.72, 106.76, 10.84)

OSMIUM_SCAN = """
import sys, osmium
ways = 0
for obj in osmium.FileProcessor(sys.argv[1]).with_locations():
    if isinstance(obj, osmium.osm.Way) and "highway" in obj.tags:
        ways += sum(1 for n in obj.nodes if n.location.valid()) > 1
print(ways)
"""


#: Runs the code in argv[1] with the rest as its argv, then reports its own peak RSS.
MEASURED = """
import resource, sys
code, sys.argv = sys.argv[1], sys.argv[1:]
try:
    exec(compile(code, "<bench>", "exec"), {"__name__": "__main__"})
except SystemExit as stop:
    if stop.code not in (0, None):
        raise
print("MAXRSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def run_child(code: str, args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``code`` run in a fresh interpreter."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURED, code, *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    peak_kb = next(
        int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("MAXRSS_KB")
    )
    return seconds, peak_kb / 1024


def import_figures(pbf: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as var:
        env = {**os.environ, "SMARTCITY_VAR_DIR": var}
        subprocess.run(
            [sys.executable, "-m", "smartcity.cli", "db", "upgrade"],
            env=env,
            check=True,
            capture_output=True,
        )
        ours, ours_mb = run_child(
            "from smartcity.cli import app; app()", ["import", "osm", str(pbf)], env
        )
    floor, floor_mb = run_child(OSMIUM_SCAN, [str(pbf)], dict(os.environ))
    return {"ours_s": ours, "ours_mb": ours_mb, "osmium_s": floor, "osmium_mb": floor_mb}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def tile_figures(
    pbf: Path, count: int
) -> list[tuple[str, float, float, float, float, float, float]]:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from starlette.staticfiles import StaticFiles

    var = tempfile.mkdtemp()
    os.environ["SMARTCITY_VAR_DIR"] = var
    from smartcity.bootstrap import prepare_database
    from smartcity.core import tiles
    from smartcity.core.db import get_database
    from smartcity.main import create_app
    from smartcity.roads.service import roads

    database = get_database()
    prepare_database(database)
    roads.import_osm(database, pbf)
    client = TestClient(create_app())
    rng = random.Random(7)
    rows = []
    static_dir = Path(tempfile.mkdtemp())
    static_app = FastAPI()
    static_app.mount("/t", StaticFiles(directory=static_dir))
    static_client = TestClient(static_app)
    for label, zoom in (("city (z11)", 11), ("city (z13)", 13), ("street (z16)", 16)):
        # Every tile over the city centre at this zoom, a random sample of ``count`` of them.
        west, north = tiles.lonlat_to_tile(CENTRE_BBOX[0], CENTRE_BBOX[3], zoom)
        east, south = tiles.lonlat_to_tile(CENTRE_BBOX[2], CENTRE_BBOX[1], zoom)
        every = [(x, y) for x in range(west, east + 1) for y in range(north, south + 1)]
        coords = rng.sample(every, min(count, len(every)))
        urls = [f"/tiles/roads/{zoom}/{x}/{y}.mvt" for x, y in coords]
        client.get(urls[0])  # load the network index once
        tiles.cache._items.clear()
        cold = []
        for url in urls:
            started = time.perf_counter()
            response = client.get(url)
            cold.append((time.perf_counter() - started) * 1000)
            name = url.replace("/", "_")
            (static_dir / name).write_bytes(response.content)
        warm = []
        for url in urls * 3:
            started = time.perf_counter()
            client.get(url)
            warm.append((time.perf_counter() - started) * 1000)
        static = []
        for url in urls * 3:
            started = time.perf_counter()
            static_client.get("/t/" + url.replace("/", "_"))
            static.append((time.perf_counter() - started) * 1000)
        rows.append(
            (
                f"{label} ×{len(urls)}",
                statistics.median(cold),
                percentile(cold, 99),
                statistics.median(warm),
                percentile(warm, 99),
                statistics.median(static),
                percentile(static, 99),
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tiles", type=int, default=200, help="tiles per zoom level")
    args = parser.parse_args()
    from smartcity.roads.synthetic import generate_city

    inputs: list[tuple[str, Path]] = []
    if HCMC.is_file():
        inputs.append(("HCMC 2018 (real)", HCMC))
    synthetic = Path(tempfile.mkdtemp()) / "city.osm.pbf"
    started = time.perf_counter()
    generate_city("city", 1, synthetic)
    print(f"synthetic --size city generated in {time.perf_counter() - started:.1f} s")
    inputs.append(("synthetic --size city", synthetic))

    print("\nImport (decode + build + artefact + database), fresh SQLite each:")
    print(f"{'input':<24}{'ours s':>9}{'ours MB':>9}{'osmium s':>10}{'osmium MB':>10}{'time ×':>8}")
    for label, pbf in inputs:
        f = import_figures(pbf)
        print(
            f"{label:<24}{f['ours_s']:>9.1f}{f['ours_mb']:>9.0f}{f['osmium_s']:>10.1f}"
            f"{f['osmium_mb']:>10.0f}{f['ours_s'] / f['osmium_s']:>8.1f}"
        )

    print("\nRoad tiles, central HCMC (ms): ours cold (encode) / ours cached / static-file floor")
    print(
        f"{'zoom':<20}{'cold p50':>9}{'p99':>7}{'cached p50':>11}{'p99':>7}{'static p50':>11}{'p99':>7}"
    )
    source = HCMC if HCMC.is_file() else synthetic
    for row in tile_figures(source, args.tiles):
        print(
            f"{row[0]:<20}{row[1]:>9.1f}{row[2]:>7.1f}{row[3]:>11.2f}{row[4]:>7.2f}{row[5]:>11.2f}{row[6]:>7.2f}"
        )


if __name__ == "__main__":
    main()
