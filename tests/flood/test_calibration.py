"""Calibration from a point's own sensor history: three storms through the SensorThings API
at a hotspot whose drains behave unlike the defaults; the fitted response is the true one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from smartcity.core.db import Database
from smartcity.flood import forecast as model
from smartcity.flood import simulator, tasks
from smartcity.flood.models import FloodPoint

TRUTH = model.Response(gain=1.6, capacity=16.0, tau_h=2.0, tide_gain=0.0)


def test_a_point_learns_its_drains_from_three_storms(
    database: Database,
    client: TestClient,
    ingest_key: str,
    hotspots: dict[str, dict[str, Any]],
    data_dir: Path,
) -> None:
    point = hotspots["Nguyễn Hữu Cảnh"]
    headers = {"X-API-Key": ingest_key}
    stations = simulator.Stations(
        rain=simulator._station(client, headers, "Trạm mưa (hiệu chỉnh)", 106.667, 10.797, "mm"),
        tide=simulator._station(client, headers, "Phú An (hiệu chỉnh)", 106.7567, 10.7754, "m"),
        depth={point["id"]: simulator._station(client, headers, "NHC (hiệu chỉnh)",
                                               *point["geometry"]["coordinates"], "cm",
                                               point["id"])},
    )  # fmt: skip
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    storms = simulator.storms(data_dir)[:3]
    start = now - timedelta(days=len(storms))
    step = timedelta(hours=model.STEP_H)
    for day, storm in enumerate(storms):
        rain = storm.rain_steps()
        depth, _ = model.run(TRUTH, rain, rain * 0)
        for i in range(len(rain)):
            simulator.post_step(
                client, headers, stations, rain_mm_h=float(rain[i]), tide_m=1.0,
                depths={point["id"]: round(float(depth[i]), 1)},
                at=start + timedelta(days=day) + step * i,
            )  # fmt: skip
    fitted = tasks.calibrate(database, now=now + step, days=len(storms) + 1)  # the daily job
    with database.session() as session:
        stored = session.get(FloodPoint, point["id"])
        assert stored is not None
        assert stored.response == fitted["Nguyễn Hữu Cảnh"]
    response = model.Response.for_point("Nguyễn Hữu Cảnh", fitted["Nguyễn Hữu Cảnh"])
    assert response.capacity == TRUTH.capacity
    assert response.tau_h == TRUTH.tau_h
    assert abs(response.gain - TRUTH.gain) / TRUTH.gain < 0.05
    assert response.tide_gain < 5.0  # no tide in this history


def test_a_history_without_floods_keeps_the_defaults() -> None:
    default = model.Response()
    dry = model.calibrate(default, np.full(96, 30.0), np.ones(96), np.zeros(96))
    assert dry == default
