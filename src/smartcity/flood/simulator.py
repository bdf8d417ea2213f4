"""``smartcity simulate flood``: storms from the real daily rainfall of central HCMC
2010–2019 (NASA POWER, shared/data/climate), the tide cycle, sensor depths responding at the
hotspots and a few citizen reports with photos — all through the public HTTP APIs.

Storms: a wet day's total is disaggregated into an afternoon storm (ASSUMPTION, not data:
80 % of the day's rain falls in three hours from 15:00 local in the ratio 5:3:2, the rest
evenly over the day).  MERRA-2 daily totals are grid-cell means and understate point
rainfall.  Time is compressed: each 15-minute model step is posted ``interval`` seconds
apart, stamped with the wall clock.

Truth at each hotspot: the linear-reservoir response of ``forecast.py`` with per-point
parameters perturbed (seeded) around the defaults, so the forecast does not know them.
"""

from __future__ import annotations

import csv
import io
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from smartcity.flood import forecast as model
from smartcity.flood.tide import shipped

STA = "/api/sta/v1.1"
CLIMATE_FILE = Path("climate") / "hcmc_nasa_power_daily_2010_2019.csv"
STORM_SHAPE = (0.5, 0.3, 0.2)
STORM_SHARE = 0.8
STORM_START_LOCAL_H = 15


#: ``httpx.Client`` or FastAPI's ``TestClient`` (any client with httpx's get/post).
HttpClient = Any


@dataclass(frozen=True)
class Storm:
    day: date
    daily_mm: float
    hourly_mm: tuple[float, ...]  # 24 values, local hours 0–23

    def rain_steps(self) -> np.ndarray:
        """mm/h for each 15-minute step of the day."""
        return np.repeat(np.array(self.hourly_mm), int(1 / model.STEP_H))


def disaggregate(day: date, daily_mm: float) -> Storm:
    rest = daily_mm * (1 - STORM_SHARE) / 24
    hourly = [rest] * 24
    for offset, share in enumerate(STORM_SHAPE):
        hourly[STORM_START_LOCAL_H + offset] += daily_mm * STORM_SHARE * share
    return Storm(day, daily_mm, tuple(round(h, 2) for h in hourly))


def storms(data_dir: Path, *, min_mm: float = 40.0) -> list[Storm]:
    """Wet days of 2010–2019 with at least ``min_mm``, wettest first."""
    path = data_dir / CLIMATE_FILE
    with path.open(encoding="utf-8") as handle:
        rows = [
            (date.fromisoformat(r["date"]), float(r["PRECTOTCORR"])) for r in csv.DictReader(handle)
        ]
    chosen = [disaggregate(d, mm) for d, mm in rows if mm >= min_mm]
    return sorted(chosen, key=lambda s: -s.daily_mm)


def truth_response(name: str, rng: random.Random) -> model.Response:
    base = model.Response.for_point(name)
    return replace(
        base,
        gain=base.gain * rng.uniform(0.5, 2.0),
        capacity=base.capacity * rng.uniform(0.6, 1.4),
        tau_h=base.tau_h * rng.uniform(0.5, 2.5),
        tide_threshold_m=base.tide_threshold_m + rng.uniform(-0.1, 0.1),
    )


def tide_for_day(day: date) -> np.ndarray:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=7)
    steps = int(24 / model.STEP_H)
    return shipped().predict([start + timedelta(hours=model.STEP_H * i) for i in range(steps)])


# ---------------------------------------------------------------- evaluation


#: Storms before this year are the points' sensor history for calibration; later ones test.
CALIBRATION_BEFORE = 2015
#: Noise of the simulated depth sensors in that history (cm, Gaussian).
SENSOR_NOISE_CM = 2.0


@dataclass
class Evaluation:
    storms: int  # test storms
    calibration_storms: int
    points: int
    issues: int
    scores: dict[str, dict[int, model.Score]] = field(default_factory=dict)


def _sensor_history(
    truth: model.Response, storms: list[Storm], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rain, tide and a noisy depth sensor at one point over ``storms`` (days end to end)."""
    rain = np.concatenate([s.rain_steps() for s in storms])
    tide = np.concatenate([tide_for_day(s.day) for s in storms])
    depth, _ = model.run(truth, rain, tide)
    noisy = np.maximum(0.0, depth + rng.normal(0.0, SENSOR_NOISE_CM, len(depth)))
    return rain, tide, noisy


def evaluate(
    data_dir: Path, *, points: int = 30, seed: int = 7, min_mm: float = 30.0
) -> Evaluation:
    """Forecast skill on simulated storms with known truth.

    For every test storm day (from ``CALIBRATION_BEFORE``) and hotspot, a forecast is
    issued each hour from the true depth now (a perfect sensor); an event is depth ≥ 10 cm at
    the lead time.  Variants: the live nowcast (last hour's rain persists one hour) and the
    same model given the true future rain (a perfect rain forecast), each with the default
    per-point parameters and with parameters calibrated on the point's noisy sensor history
    of the earlier storms.
    """
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    names = [f"point {i}" for i in range(points)]
    names[: len(model.TIDE_STREETS)] = list(model.TIDE_STREETS)[:points]
    truths = [truth_response(n, rng) for n in names]
    defaults = [model.Response.for_point(n) for n in names]
    wet = storms(data_dir, min_mm=min_mm)
    history = [s for s in sorted(wet, key=lambda s: s.day) if s.day.year < CALIBRATION_BEFORE]
    test = [s for s in wet if s.day.year >= CALIBRATION_BEFORE]
    calibrated = [
        model.calibrate(default, *_sensor_history(truth, history, noise)) if history else default
        for truth, default in zip(truths, defaults, strict=True)
    ]
    result = Evaluation(storms=len(test), calibration_storms=len(history), points=points, issues=0)
    variants = ("nowcast", "perfect rain", "calibrated nowcast", "calibrated perfect rain")
    result.scores = {v: {lead: model.Score() for lead in model.LEADS_H} for v in variants}
    threshold = 10.0
    per_h = int(1 / model.STEP_H)
    horizon = max(model.LEADS_H) * per_h
    for storm in test:
        rain = np.concatenate([storm.rain_steps(), np.zeros(horizon)])
        tide = np.concatenate(
            [tide_for_day(storm.day), tide_for_day(storm.day + timedelta(days=1))[:horizon]]
        )
        for truth, default, fitted in zip(truths, defaults, calibrated, strict=True):
            depth, _ = model.run(truth, rain, tide)
            for issue in range(per_h, 24 * per_h, per_h):
                result.issues += 1
                last_hour = float(np.mean(rain[issue - per_h : issue]))
                future_tide = tide[issue : issue + horizon]
                nowcast = model.nowcast_rain(last_hour, horizon)
                perfect = rain[issue : issue + horizon]
                inputs = {
                    "nowcast": (default, nowcast),
                    "perfect rain": (default, perfect),
                    "calibrated nowcast": (fitted, nowcast),
                    "calibrated perfect rain": (fitted, perfect),
                }
                for variant, (response, future_rain) in inputs.items():
                    predicted = model.forecast(
                        response,
                        depth_now=float(depth[issue - 1]),
                        tide_now=float(tide[issue - 1]),
                        future_rain_mm_h=future_rain,
                        future_tide_m=future_tide,
                    )
                    for lead in model.LEADS_H:
                        observed = depth[issue - 1 + lead * per_h] >= threshold
                        result.scores[variant][lead].add(
                            predicted[lead] >= threshold, bool(observed)
                        )
    return result


def evaluation_table(result: Evaluation) -> str:
    lines = [
        f"{result.storms} test storm days (calibration on {result.calibration_storms} earlier "
        f"ones) × {result.points} hotspots, {result.issues} forecasts per variant",
        f"{'variant':24}{'lead':>6}{'events':>8}{'hit rate':>10}{'false alarms':>14}",
    ]
    for variant, by_lead in result.scores.items():
        for lead, score in by_lead.items():
            lines.append(
                f"{variant:24}{lead:>5}h{score.hits + score.misses:>8}"
                f"{score.hit_rate:>10.2f}{score.false_alarm_ratio:>14.2f}"
            )
    return "\n".join(lines)


# ---------------------------------------------------------------- live simulation


@dataclass
class Stations:
    rain: int
    tide: int
    depth: dict[int, int]  # flood point id → datastream id


def _station(
    client: HttpClient,
    headers: dict[str, str],
    name: str,
    lon: float,
    lat: float,
    symbol: str,
    point_id: int | None = None,
) -> int:
    thing = client.post(
        f"{STA}/Things",
        json={
            "name": name,
            "description": "simulator",
            "properties": {"flood_point_id": point_id} if point_id else {},
            "Locations": [
                {
                    "name": name,
                    "encodingType": "application/geo+json",
                    "location": {"type": "Point", "coordinates": [lon, lat]},
                }
            ],
        },
        headers=headers,
    )
    thing.raise_for_status()
    stream = client.post(
        f"{STA}/Datastreams",
        json={
            "name": f"{name} ({symbol})",
            "unitOfMeasurement": {"name": symbol, "symbol": symbol, "definition": ""},
            "Thing": {"@iot.id": thing.json()["@iot.id"]},
            "Sensor": {"name": "sim", "encodingType": "text/plain", "metadata": ""},
            "ObservedProperty": {"name": symbol, "definition": ""},
        },
        headers=headers,
    )
    stream.raise_for_status()
    return int(stream.json()["@iot.id"])


def setup(client: HttpClient, headers: dict[str, str], *, sensors: int = 12) -> Stations:
    """A rain gauge, the Phú An tide gauge and depth sensors at the first hotspots."""
    points = client.get("/api/v1/flood/points").json()["features"]
    usable = [p for p in points if not p["properties"]["flagged"] and p["properties"]["segments"]]
    depth = {
        p["id"]: _station(
            client,
            headers,
            f"Cảm biến ngập {p['properties']['name']}",
            p["geometry"]["coordinates"][0],
            p["geometry"]["coordinates"][1],
            "cm",
            p["id"],
        )
        for p in usable[:sensors]
    }
    rain = _station(client, headers, "Trạm mưa Tân Sơn Hoà", 106.6667, 10.7970, "mm")
    tide = _station(client, headers, "Trạm triều Phú An", 106.7567, 10.7754, "m")
    return Stations(rain=rain, tide=tide, depth=depth)


def _photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (70, 110, 160)).save(out, "JPEG")
    return out.getvalue()


def steps(
    storm: Storm, points: list[int], *, seed: int = 1
) -> Iterator[tuple[float, float, dict[int, float]]]:
    """(rain mm/h, tide m, true depth per point) for each 15-minute step of the storm day."""
    rng = random.Random(seed)
    truths = {p: truth_response(str(p), rng) for p in points}
    rain = storm.rain_steps()
    tide = tide_for_day(storm.day)
    series = {p: model.run(r, rain, tide)[0] for p, r in truths.items()}
    for i in range(len(rain)):
        yield float(rain[i]), float(tide[i]), {p: round(float(s[i]), 1) for p, s in series.items()}


def post_step(
    client: HttpClient,
    headers: dict[str, str],
    stations: Stations,
    *,
    rain_mm_h: float,
    tide_m: float,
    depths: dict[int, float],
    at: datetime,
) -> None:
    stamp = at.isoformat()
    body = [
        {
            "Datastream": {"@iot.id": stations.rain},
            "components": ["phenomenonTime", "result"],
            "dataArray": [[stamp, round(rain_mm_h * model.STEP_H, 2)]],
        },
        {
            "Datastream": {"@iot.id": stations.tide},
            "components": ["phenomenonTime", "result"],
            "dataArray": [[stamp, round(tide_m, 3)]],
        },
    ] + [
        {
            "Datastream": {"@iot.id": stations.depth[p]},
            "components": ["phenomenonTime", "result"],
            "dataArray": [[stamp, d]],
        }
        for p, d in depths.items()
        if p in stations.depth
    ]
    client.post(f"{STA}/CreateObservations", json=body, headers=headers).raise_for_status()


def run(
    client: HttpClient,
    headers: dict[str, str],
    *,
    storm: Storm,
    interval: float = 1.0,
    reports: int = 5,
    log: Callable[[str], None] = print,
    seed: int = 1,
) -> Stations:
    """Play one storm day through the public APIs."""
    stations = setup(client, headers)
    points = client.get("/api/v1/flood/points").json()["features"]
    coords = {p["id"]: p["geometry"]["coordinates"] for p in points}
    rng = random.Random(seed)
    photo = _photo()
    for number, (rain, tide, depths) in enumerate(steps(storm, list(stations.depth), seed=seed)):
        post_step(
            client,
            headers,
            stations,
            rain_mm_h=rain,
            tide_m=tide,
            depths=depths,
            at=datetime.now(UTC),
        )
        wet = [p for p, d in depths.items() if d >= 10]
        if wet and reports > 0 and rng.random() < 0.3:
            reports -= 1
            point = rng.choice(wet)
            word = "knee" if depths[point] >= 30 else "ankle"
            lon, lat = coords[point]
            client.post(
                "/api/v1/flood/reports",
                data={"lon": str(lon + 0.0002), "lat": str(lat), "depth": word},
                files={"photo": ("flood.jpg", photo, "image/jpeg")},
            )
        if number % 4 == 0:
            log(
                f"{storm.day} {number // 4:02d}:00 rain {rain:5.1f} mm/h tide {tide:5.2f} m, "
                f"{len(wet)} sensors ≥ 10 cm"
            )
        if interval:
            time.sleep(interval)
    return stations
