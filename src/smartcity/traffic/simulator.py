"""``smartcity simulate traffic``: a fleet posting GPS probes through the public HTTP API.

* Buses drive the real 2015 bus routes (``<data dir>/transport/hcmc_bus_routes_2015.geojson``)
  when the active network covers them; other vehicles drive routed trips between random
  nodes (``synthetic.random_routes``).
* Speeds follow the typical profiles (city ratio × segment scale at the current half hour;
  0.7 of free flow where history says nothing) with noise; random incidents, posted through
  the incident API and closed again later, slow their stretch to a crawl.
* Fixes every 10–30 s with 20 m GPS noise and 5 % gaps (``synthetic.drive``).
* Camera gateways: up to ``CAMERAS_FED`` cameras of the register upload a snapshot every
  ``SNAPSHOT_EVERY_S`` real seconds, a drawn picture labelled as simulated whose traffic
  follows the speeds the simulator drives near the camera.
* ``speedup`` X: a trip lasting T seconds is posted in T/X real seconds, its fixes stamped
  so that the trip ends *now* (timestamps never lie in the future and stay well inside the
  accepted age).  Each trip gets a fresh pseudonymous vehicle id.

The simulator makes its own API key (scopes ``traffic:ingest``, ``traffic:incidents``,
``traffic:cameras``)
in the platform's database, so it runs beside the server it posts to (``smartcity demo``
starts it in a thread once the server answers).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt

from smartcity.config import get_settings
from smartcity.core.db import Database, get_database
from smartcity.roads.index import NetworkIndex, to_local_metres
from smartcity.routing_engine.graph import RoadGraph
from smartcity.traffic.synthetic import Traces, camera_picture, drive, random_routes

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
BUS_ROUTES = ("transport", "hcmc_bus_routes_2015.geojson")
BUS_SHARE = 0.3
BUS_FREE_KMH = 30.0
TICK_S = 2.0
INCIDENT_EVERY_SIM_S = 900.0  # on average, one incident per 15 simulated minutes
INCIDENT_LASTS_SIM_S = 1800.0
INCIDENT_RADIUS_M = 250.0
INCIDENT_FACTOR = 0.08  # speeds near an incident: a crawl
CAMERAS_FED = 40
SNAPSHOT_EVERY_S = 60.0


@dataclass
class SimulatorStats:
    trips: int = 0
    bus_trips: int = 0
    posted: int = 0
    accepted: int = 0
    matched: int = 0
    incidents: int = 0
    snapshots: int = 0
    errors: int = 0
    last_error: str = ""


@dataclass
class _Trip:
    vehicle_id: str
    t: FloatArray  # seconds since trip start
    lon: FloatArray
    lat: FloatArray
    started: float  # real time the trip started being posted
    anchor: float  # epoch of the trip's t = 0
    sent: int = 0

    @property
    def duration(self) -> float:
        return float(self.t[-1]) if len(self.t) else 0.0


@dataclass
class _Incident:
    incident_id: int
    segments: list[int]
    ends_at_sim: float


@dataclass
class Simulator:
    base_url: str
    vehicles: int = 50
    speedup: float = 10.0
    minutes: float | None = None
    seed: int | None = None
    incidents: bool = True
    database: Database | None = None
    stats: SimulatorStats = field(default_factory=SimulatorStats)
    stop_event: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        if self.vehicles < 1 or self.speedup < 1:
            raise ValueError("vehicles and speedup must be at least 1")
        self._rng = np.random.default_rng(self.seed)
        self._trips: list[_Trip | None] = [None] * self.vehicles
        self._trip_number = 0
        self._open: list[_Incident] = []
        self._cameras: list[tuple[int, str, int]] = []  # id, name, nearest segment
        self._next_snapshot = 0.0

    # --- set-up ---------------------------------------------------------------------------

    def _prepare(self) -> None:
        from smartcity.accounts.schemas import ApiKeyCreate
        from smartcity.accounts.service import accounts
        from smartcity.roads.service import roads
        from smartcity.traffic.service import traffic

        database = self.database or get_database()
        with database.session() as session:
            self._key = accounts.create_api_key(
                session,
                data=ApiKeyCreate(
                    name="Traffic simulator",
                    scopes=["traffic:ingest", "traffic:incidents", "traffic:cameras"],
                ),
                creator=None,
            ).key
            self._index: NetworkIndex = roads.index(session)
            state = traffic.state(session)
            segments = np.arange(self._index.graph.segment_count, dtype=np.int64)
            typical = traffic.typical_speed(state, segments, time.time())
            ratio = typical / state.free_flow_kmh
            self._typical_ratio: FloatArray = np.where(np.isnan(ratio), 0.7, ratio)
        graph = self._index.graph
        pool = max(8, min(self.vehicles * 2, 400))
        self._routes = random_routes(
            graph, pool, self._rng, min_length_m=1500.0, max_length_m=6000.0
        )
        if not self._routes:
            raise RuntimeError("the road network has no routable trips")
        self._buses = self._bus_lines(graph)
        self._slow = np.ones(graph.segment_count)
        self._http = httpx.Client(
            base_url=self.base_url.rstrip("/"), headers={"X-API-Key": self._key}, timeout=30.0
        )
        self._sim_start = time.time()
        self._cameras = self._fed_cameras()

    def _fed_cameras(self) -> list[tuple[int, str, int]]:
        try:
            listed = self._http.get("/api/v1/traffic/cameras").json()
        except (httpx.HTTPError, ValueError):
            return []
        online = [c for c in listed if c.get("online")]
        picked = sorted(online, key=lambda c: int(c["id"]))[:CAMERAS_FED]
        fed = []
        for camera in picked:
            near = self._index.nearest_segments(
                float(camera["lon"]), float(camera["lat"]), max_distance_m=150.0
            )
            fed.append((int(camera["id"]), str(camera["name"]), near[0][0] if near else -1))
        return fed

    def _bus_lines(self, graph: RoadGraph) -> list[tuple[str, FloatArray]]:
        """Bus route polylines (local metres) that lie on the active network."""
        data_dir = get_settings().data_dir
        path = data_dir.joinpath(*BUS_ROUTES) if data_dir is not None else None
        if path is None or not path.is_file():
            return []
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
        lines = []
        for feature in features:
            coords = np.asarray(feature["geometry"]["coordinates"], dtype=np.float64)
            if len(coords) < 2:
                continue
            probe = coords[:: max(len(coords) // 5, 1)]
            on_road = sum(
                bool(self._index.nearest_segments(float(lon), float(lat), max_distance_m=40.0))
                for lon, lat in probe
            )
            if on_road >= 0.8 * len(probe):
                x, y = to_local_metres(coords[:, 0], coords[:, 1])
                name = str(feature["properties"].get("route_no", "bus"))
                lines.append((name, np.column_stack((x, y))))
        return lines

    # --- trips ----------------------------------------------------------------------------

    def _new_trip(self, slot: int, now: float) -> _Trip:
        self._trip_number += 1
        self.stats.trips += 1
        if self._buses and self._rng.random() < BUS_SHARE:
            self.stats.bus_trips += 1
            name, line = self._buses[int(self._rng.integers(len(self._buses)))]
            t, lon, lat = self._drive_bus(line)
            vehicle = f"sim-bus{name}-{self._trip_number}"
        else:
            route = self._routes[int(self._rng.integers(len(self._routes)))]
            factor = self._typical_ratio * self._rng.uniform(0.8, 1.15, len(self._slow))
            traces: Traces = drive(
                self._index.graph, [route], self._rng, speed_factor=factor * self._slow
            )
            t, lon, lat = traces.t, traces.lon, traces.lat
            vehicle = f"sim-{slot}-{self._trip_number}"
        duration = float(t[-1]) if len(t) else 0.0
        return _Trip(
            vehicle, t, lon, lat, started=now, anchor=now + duration / self.speedup - duration
        )

    def _drive_bus(self, line: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Along a bus line at the typical city speed, a fix every 10–30 s, 20 m noise."""
        pieces = np.hypot(*np.diff(line, axis=0).T)
        along = np.concatenate(([0.0], np.cumsum(pieces)))
        ratio = float(np.nanmedian(self._typical_ratio))
        speed = max(BUS_FREE_KMH * ratio * float(self._rng.uniform(0.8, 1.1)), 5.0) / 3.6
        total_s = float(along[-1]) / speed
        times = np.cumsum(self._rng.uniform(10.0, 30.0, int(total_s / 10) + 2))
        times = np.concatenate(([0.0], times[times < total_s]))
        keep = self._rng.random(len(times)) >= 0.05
        times = times[keep]
        x = np.interp(times * speed, along, line[:, 0]) + self._rng.normal(0, 20.0, len(times))
        y = np.interp(times * speed, along, line[:, 1]) + self._rng.normal(0, 20.0, len(times))
        unit_x, unit_y = to_local_metres(np.ones(1), np.ones(1))
        return times, x / float(unit_x[0]), y / float(unit_y[0])

    # --- incidents ------------------------------------------------------------------------

    def _incidents(self, sim_elapsed: float, dt_sim: float) -> None:
        for incident in [i for i in self._open if i.ends_at_sim <= sim_elapsed]:
            self._open.remove(incident)
            self._slow[incident.segments] = 1.0
            self._post(f"/api/v1/traffic/incidents/{incident.incident_id}/close", None)
        if not self.incidents or self._rng.random() >= dt_sim / INCIDENT_EVERY_SIM_S:
            return
        route = self._routes[int(self._rng.integers(len(self._routes)))]
        arc = route[int(self._rng.integers(len(route)))]
        graph = self._index.graph
        segment = int(graph.arc_segment[arc])
        middle = graph.segment_geometry(segment)
        lon, lat = (float(v) for v in middle[len(middle) // 2])
        kind = str(self._rng.choice(["accident", "obstruction", "roadworks"]))
        body = self._post(
            "/api/v1/traffic/incidents",
            {"kind": kind, "lon": lon, "lat": lat, "delay_s": 300,
             "description": "Sự cố mô phỏng (simulated)"},
        )  # fmt: skip
        if body is None:
            return
        near = [
            s for s, _ in self._index.nearest_segments(lon, lat, max_distance_m=INCIDENT_RADIUS_M)
        ]
        self._slow[near] = INCIDENT_FACTOR
        self._open.append(_Incident(int(body["id"]), near, sim_elapsed + INCIDENT_LASTS_SIM_S))
        self.stats.incidents += 1

    # --- cameras --------------------------------------------------------------------------

    def _snapshots(self, now: float) -> None:
        if not self._cameras or now < self._next_snapshot:
            return
        self._next_snapshot = now + SNAPSHOT_EVERY_S
        moment = datetime.fromtimestamp(now, tz=UTC)
        for camera_id, name, segment in self._cameras:
            ratio = (
                float(self._typical_ratio[segment] * self._slow[segment]) if segment >= 0 else 0.7
            )
            picture = camera_picture(name, moment, 1.0 - ratio, self._rng)
            if self._post(f"/api/v1/traffic/cameras/{camera_id}/snapshots", jpeg=picture):
                self.stats.snapshots += 1

    # --- posting --------------------------------------------------------------------------

    def _post(
        self, path: str, body: dict[str, Any] | None = None, *, jpeg: bytes | None = None
    ) -> dict[str, Any] | None:
        """POST a JSON body (or a JPEG); the answer, or None after counting the error."""
        try:
            if jpeg is not None:
                response = self._http.post(
                    path, content=jpeg, headers={"Content-Type": "image/jpeg"}
                )
            else:
                response = self._http.post(path, json=body)
        except httpx.HTTPError as error:
            self.stats.errors += 1
            self.stats.last_error = str(error)
            return None
        if response.status_code >= 400:
            self.stats.errors += 1
            self.stats.last_error = f"{path}: HTTP {response.status_code} {response.text[:200]}"
            return None
        data: dict[str, Any] = response.json()
        return data

    def step(self, now: float) -> int:
        """Post every fix that is due by ``now``; returns how many were posted."""
        points: list[dict[str, Any]] = []
        for slot in range(self.vehicles):
            trip = self._trips[slot]
            if trip is None or trip.sent >= len(trip.t):
                trip = self._trips[slot] = self._new_trip(slot, now)
            due = int(np.searchsorted(trip.t, (now - trip.started) * self.speedup, side="right"))
            for k in range(trip.sent, due):
                stamp = datetime.fromtimestamp(trip.anchor + float(trip.t[k]), tz=UTC)
                points.append({
                    "vehicle_id": trip.vehicle_id, "time": stamp.isoformat(),
                    "lon": round(float(trip.lon[k]), 6), "lat": round(float(trip.lat[k]), 6),
                })  # fmt: skip
            trip.sent = max(trip.sent, due)
        for start in range(0, len(points), 10_000):
            batch = points[start : start + 10_000]
            result = self._post("/api/v1/traffic/probes", {"fleet": "simulator", "points": batch})
            self.stats.posted += len(batch)
            if result is not None:
                self.stats.accepted += int(result["accepted"])
                self.stats.matched += int(result["matched"])
        return len(points)

    def run(self) -> SimulatorStats:
        self._prepare()
        started = last = time.time()
        try:
            while not self.stop_event.is_set():
                now = time.time()
                if self.minutes is not None and now - started >= self.minutes * 60:
                    break
                self._incidents((now - started) * self.speedup, (now - last) * self.speedup)
                last = now
                self.step(now)
                self._snapshots(now)
                self.stop_event.wait(TICK_S)
        finally:
            self._http.close()
        return self.stats


class SimulatorThread(threading.Thread):
    def __init__(self, simulator: Simulator, *, wait_for_server_s: float = 60.0) -> None:
        super().__init__(name="traffic-simulator", daemon=True)
        self.simulator = simulator
        self.wait_for_server_s = wait_for_server_s
        self.error: BaseException | None = None

    def run(self) -> None:
        deadline = time.monotonic() + self.wait_for_server_s
        while not self.simulator.stop_event.is_set():
            try:
                httpx.get(self.simulator.base_url.rstrip("/") + "/healthz", timeout=2.0)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    self.error = RuntimeError(f"no server at {self.simulator.base_url}")
                    return
                time.sleep(0.5)
        try:
            self.simulator.run()
        except Exception as error:  # a demo helper: log, never kill the server
            self.error = error
            log.exception("traffic simulator stopped")

    def stop(self, timeout_s: float = 10.0) -> SimulatorStats:
        self.simulator.stop_event.set()
        self.join(timeout_s)
        return self.simulator.stats


def start_simulator(
    base_url: str,
    *,
    vehicles: int = 50,
    speedup: float = 10.0,
    minutes: float | None = None,
    seed: int | None = None,
    incidents: bool = True,
    database: Database | None = None,
) -> SimulatorThread:
    """Start the simulator in a daemon thread once ``base_url`` answers; ``.stop()`` ends it."""
    thread = SimulatorThread(
        Simulator(
            base_url=base_url, vehicles=vehicles, speedup=speedup, minutes=minutes, seed=seed,
            incidents=incidents, database=database,
        )
    )  # fmt: skip
    thread.start()
    return thread


__all__ = ["Simulator", "SimulatorStats", "SimulatorThread", "start_simulator"]
