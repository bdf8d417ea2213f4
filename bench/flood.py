"""Sustained SensorThings observation ingest over real HTTP, against FROST-Server's published
Hamburg production load (about 2,000 observations/s, peaks of 5,000).

The app runs under uvicorn in a child process on a fresh SQLite database (or
SMARTCITY_DATABASE_URL); a sensor gateway POSTs ``CreateObservations`` dataArray batches with
an ``flood:ingest`` API key, one request after another, for ``--seconds``.

Run: uv run python bench/flood.py [--seconds 20] [--batch 5000] [--streams 50] [--clients 1]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

FROST_HAMBURG_SUSTAINED = 2_000
FROST_HAMBURG_PEAK = 5_000
TARGET = 5_000
STA = "/api/sta/v1.1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env(var_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["SMARTCITY_VAR_DIR"] = str(var_dir)
    env.setdefault("SMARTCITY_SECRET_KEY", "bench-secret-key-not-for-production")
    return env


def _setup(var_dir: Path) -> str:
    code = (
        "from smartcity.bootstrap import prepare_database\n"
        "from smartcity.core.db import get_database\n"
        "from smartcity.accounts.schemas import ApiKeyCreate\n"
        "from smartcity.accounts.service import accounts\n"
        "db = get_database(); prepare_database(db)\n"
        "with db.session() as s:\n"
        "    print(accounts.create_api_key(s, data=ApiKeyCreate(name='bench', scopes=['flood:ingest']), creator=None).key)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=_env(var_dir), check=True, capture_output=True, text=True
    )
    return out.stdout.strip().splitlines()[-1]


def _streams(client: httpx.Client, headers: dict[str, str], count: int) -> list[int]:
    ids = []
    for i in range(count):
        thing = client.post(
            f"{STA}/Things",
            json={"name": f"gauge {i}", "description": "bench", "properties": {}},
            headers=headers,
        ).json()["@iot.id"]
        stream = client.post(
            f"{STA}/Datastreams",
            json={
                "name": f"depth {i}",
                "unitOfMeasurement": {"name": "centimetre", "symbol": "cm", "definition": ""},
                "Thing": {"@iot.id": thing},
                "Sensor": {"name": "s", "encodingType": "text/plain", "metadata": ""},
                "ObservedProperty": {"name": "water depth", "definition": ""},
            },
            headers=headers,
        )
        ids.append(stream.json()["@iot.id"])
    return ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--batch", type=int, default=5000, help="observations per request")
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--clients", type=int, default=1, help="gateways posting in parallel")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="smartcity-bench-flood-"))
    key = _setup(var_dir)
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "smartcity.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=_env(var_dir),
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"X-API-Key": key}
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(200):
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            streams = _streams(client, headers, args.streams)
        per_stream = max(1, args.batch // len(streams))
        start_time = datetime.now(UTC) - timedelta(days=30)
        sent = [0] * args.clients
        latencies: list[float] = []
        deadline = time.perf_counter() + args.seconds
        lock = threading.Lock()

        def gateway(number: int) -> None:
            step = 0
            with httpx.Client(base_url=base, timeout=60) as client:
                while time.perf_counter() < deadline:
                    body = []
                    for stream in streams:
                        rows = []
                        for _ in range(per_stream):
                            moment = start_time + timedelta(seconds=step * args.clients + number)
                            rows.append([moment.isoformat(), float(step % 40)])
                            step += 1
                        body.append(
                            {
                                "Datastream": {"@iot.id": stream},
                                "components": ["phenomenonTime", "result"],
                                "dataArray": rows,
                            }
                        )
                    began = time.perf_counter()
                    response = client.post(f"{STA}/CreateObservations", json=body, headers=headers)
                    elapsed = time.perf_counter() - began
                    if response.status_code != 201:
                        raise SystemExit(
                            f"ingest failed: {response.status_code} {response.text[:300]}"
                        )
                    with lock:
                        latencies.append(elapsed)
                    sent[number] += per_stream * len(streams)

        began = time.perf_counter()
        threads = [threading.Thread(target=gateway, args=(n,)) for n in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(timeout=20)

    total = sum(sent)
    rate = total / wall
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000 if len(latencies) > 1 else p50
    print(
        f"cores: {os.cpu_count()}, database: {os.environ.get('SMARTCITY_DATABASE_URL') or 'SQLite (WAL)'}"
    )
    print(
        f"batches of {per_stream * len(streams)} obs ({len(streams)} datastreams), "
        f"{args.clients} client(s), {wall:.1f} s, {len(latencies)} requests"
    )
    print(f"request latency p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    print(f"{'':32}{'obs/s':>10}{'ours / it':>12}")
    print(f"{'this platform (sustained)':32}{rate:>10,.0f}{'':>12}")
    print(
        f"{'FROST Hamburg, sustained':32}{FROST_HAMBURG_SUSTAINED:>10,}{rate / FROST_HAMBURG_SUSTAINED:>11.2f}x"
    )
    print(
        f"{'FROST Hamburg, peaks':32}{FROST_HAMBURG_PEAK:>10,}{rate / FROST_HAMBURG_PEAK:>11.2f}x"
    )
    print(f"target {TARGET:,} obs/s sustained: {'MET' if rate >= TARGET else 'NOT MET'}")


if __name__ == "__main__":
    main()
