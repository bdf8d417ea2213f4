"""Traffic: map matching accuracy, probe ingest and its refusals, live speeds and events,
history profiles and the forecast, camera snapshots."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from smartcity.core.db import Database
from smartcity.core.events import DomainEvent, get_bus
from smartcity.roads.index import to_local_metres
from smartcity.roads.service import roads
from smartcity.routing.service import RoutingService, routing
from smartcity.routing_engine.graph import CAR
from smartcity.traffic import repository
from smartcity.traffic import service as traffic_service_module
from smartcity.traffic.cli import prepare_demo
from smartcity.traffic.flows import current_traffic
from smartcity.traffic.forecast import evaluate, fit_weight, load_history
from smartcity.traffic.live import LiveSpeeds
from smartcity.traffic.matching import MatchNetwork, match
from smartcity.traffic.models import Camera, CameraSnapshot, HistorySegment
from smartcity.traffic.schemas import IncidentCreate
from smartcity.traffic.service import join_history, traffic
from smartcity.traffic.synthetic import drive, random_routes
from support.traffic import api_key


def _trip_points(database: Database, seed: int, vehicles: int = 5) -> list[dict[str, object]]:
    with database.session() as session:
        graph = roads.index(session).graph
    rng = np.random.default_rng(seed)
    traces = drive(graph, random_routes(graph, vehicles, rng, min_length_m=800,
                                        max_length_m=3000), rng, noise_m=10)  # fmt: skip
    base = datetime.now(UTC) - timedelta(seconds=float(traces.t.max()) + 10)
    points = []
    for i in range(len(traces.trace_start) - 1):
        for k in range(int(traces.trace_start[i]), int(traces.trace_start[i + 1])):
            points.append(
                {
                    "vehicle_id": f"veh-{seed}-{i}",
                    "time": (base + timedelta(seconds=float(traces.t[k]))).isoformat(),
                    "lon": float(traces.lon[k]),
                    "lat": float(traces.lat[k]),
                }
            )
    return points


@pytest.fixture
def speed_events() -> Iterator[list[DomainEvent]]:
    """The ``traffic.speeds_updated`` events published while the test runs."""
    events: list[DomainEvent] = []
    unsubscribe = get_bus().subscribe("traffic.speeds_updated", events.append)
    yield events
    unsubscribe()


def _post_probes(client: TestClient, key: str, points: list[dict[str, object]]) -> dict[str, Any]:
    response = client.post(
        "/api/v1/traffic/probes", json={"points": points}, headers={"X-API-Key": key}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestMapMatching:
    def test_most_fixes_land_on_the_true_segment(
        self, database: Database, small_network: Path
    ) -> None:
        with database.session() as session:
            index = roads.index(session)
        graph = index.graph
        rng = np.random.default_rng(3)
        traces = drive(graph, random_routes(graph, 20, rng, min_length_m=800,
                                            max_length_m=3000), rng, noise_m=15)  # fmt: skip
        network = MatchNetwork.build(graph, index.local_lines, index.local_tree, access_mask=CAR)
        x, y = to_local_metres(traces.lon, traces.lat)
        result = match(network, traces.trace_start, traces.t, x, y)
        accuracy = float(np.mean(result.segment == traces.true_segment))
        assert accuracy > 0.75, accuracy
        assert np.all(result.segment >= 0)


class TestLiveSpeeds:
    def test_one_outlier_does_not_move_the_speed_and_a_real_change_takes_over(self) -> None:
        live = LiveSpeeds(3, window_s=600)
        one = np.array([1])
        for k in range(8):
            live.observe(one, np.array([30.0]), np.array([1000.0 + 10 * k]))
        live.observe(one, np.array([2.0]), np.array([1090.0]))  # a parked taxi
        assert live.speed[1] == 30.0
        for k in range(9):
            live.observe(one, np.array([5.0]), np.array([1100.0 + 10 * k]))
        assert live.speed[1] == 5.0
        assert np.isnan(live.speed[[0, 2]]).all()

    def test_observations_older_than_the_window_do_not_count(self) -> None:
        live = LiveSpeeds(1, window_s=600)
        zero = np.array([0])
        for k in range(5):
            live.observe(zero, np.array([10.0]), np.array([1000.0 + k]))
        live.observe(zero, np.array([40.0]), np.array([2000.0]))  # 1000 s later
        assert live.speed[0] == 40.0

    def test_a_speed_that_is_no_longer_fresh_is_withdrawn_once(self) -> None:
        live = LiveSpeeds(2, window_s=600)
        live.observe(np.array([0, 1]), np.array([20.0, 30.0]), np.array([1000.0, 1500.0]))
        first = live.take_changes(now=1500.0)
        assert first.segments.tolist() == [0, 1]
        assert first.speed_kmh.tolist() == [20.0, 30.0]
        later = live.take_changes(now=1700.0)  # segment 0 last seen 700 s ago
        assert later.segments.tolist() == [0]
        assert np.isnan(later.speed_kmh).all()
        assert len(live.take_changes(now=1800.0).segments) == 0
        # late observations (points may be an hour old) do not bring a stale speed back
        live.observe(np.array([0]), np.array([25.0]), np.array([1100.0]))
        assert len(live.take_changes(now=1900.0).segments) == 0


class TestProbeIngest:
    def test_batch_is_matched_and_speeds_are_published(
        self,
        database: Database,
        small_network: Path,
        client: TestClient,
        speed_events: list[DomainEvent],
    ) -> None:
        traffic.reset()
        key = api_key(database, "traffic:ingest")
        points = _trip_points(database, seed=11)
        body = _post_probes(client, key, points)
        assert body["accepted"] == len(points)
        assert body["matched"] >= 0.9 * len(points)
        assert body["rejected"] == {}
        with database.session() as session:
            changed = traffic.flush_changes(session)
        assert changed > 0
        assert len(speed_events) == 1
        payload = speed_events[0].payload
        assert len(payload["speeds_kmh"]) == changed
        segment = int(next(iter(payload["speeds_kmh"])))
        detail = client.get(f"/api/v1/traffic/segments/{segment}").json()
        assert detail["source"] == "live"
        assert detail["level"] in {"free", "slow", "heavy", "standstill"}
        # the same batch again: every point is a duplicate, nothing changes
        again = _post_probes(client, key, points)
        assert again["accepted"] == 0
        assert sum(again["rejected"].values()) == len(points)
        with database.session() as session:
            assert traffic.flush_changes(session) == 0

    def test_routing_started_after_traffic_gets_its_speeds_and_incidents(
        self, database: Database, small_network: Path, client: TestClient
    ) -> None:
        traffic.reset()
        points = _trip_points(database, seed=13)
        _post_probes(client, api_key(database, "traffic:ingest"), points)
        with database.session() as session:
            assert traffic.flush_changes(session) > 0
            speeds = traffic.fresh_speeds(session)
            lon, lat = float(points[0]["lon"]), float(points[0]["lat"])  # type: ignore[arg-type]
            closure = traffic.create_incident(
                session,
                data=IncidentCreate(kind="closure", lon=lon, lat=lat, closed=True),
                source="officer",
            )
            session.flush()
            closure_id, closure_segments = str(closure.id), list(closure.segments)
        assert speeds
        # a routing service that starts now (a restarted process) asks traffic what it knows
        restarted = RoutingService()
        restarted.register_live_source("traffic", current_traffic)
        with database.session() as session:
            live = restarted.network(session).live
        assert live.speeds_kmh == speeds
        assert live.incidents[closure_id].closed
        assert live.incidents[closure_id].segments.tolist() == closure_segments
        with database.session() as session:
            traffic.close_incident(
                session, incident=traffic.incident(session, incident_id=int(closure_id))
            )

    def test_speeds_that_go_stale_are_withdrawn_from_routing(
        self,
        database: Database,
        small_network: Path,
        client: TestClient,
        speed_events: list[DomainEvent],
    ) -> None:
        traffic.reset()
        points = _trip_points(database, seed=14, vehicles=2)
        _post_probes(client, api_key(database, "traffic:ingest"), points)
        with database.session() as session:
            traffic.flush_changes(session)
            version = traffic.state(session).version
        live_now = {int(s) for s in speed_events[-1].payload["speeds_kmh"]}
        with database.session() as session:
            network = routing.network(session)
        assert live_now <= set(network.live.speeds_kmh)
        an_hour_later = datetime.now(UTC).timestamp() + 3600
        with database.session() as session:
            assert traffic.flush_changes(session, now=an_hour_later) >= len(live_now)
            assert traffic.fresh_speeds(session, now=an_hour_later) == {}
        withdrawn = speed_events[-1].payload["speeds_kmh"]
        assert set(withdrawn.values()) == {None}
        assert live_now <= {int(s) for s in withdrawn}
        assert not live_now & set(network.live.speeds_kmh)  # routing dropped them
        with database.session() as session:  # and a restarted process will not load them
            assert repository.speeds(session, version) == []

    def test_bad_points_are_counted_not_stored(
        self, database: Database, small_network: Path, client: TestClient
    ) -> None:
        key = api_key(database, "traffic:ingest")
        now = datetime.now(UTC)
        good = _trip_points(database, seed=12, vehicles=1)[:4]
        lon, lat = float(good[0]["lon"]), float(good[0]["lat"])  # type: ignore[arg-type]
        points = [
            *good,
            {**good[1]},  # duplicate
            {"vehicle_id": "v-future", "time": (now + timedelta(hours=1)).isoformat(),
             "lon": lon, "lat": lat},
            {"vehicle_id": "v-far", "time": now.isoformat(), "lon": 105.8, "lat": 21.0},
            {"vehicle_id": "v-old", "time": (now - timedelta(days=2)).isoformat(),
             "lon": lon, "lat": lat},
            {"vehicle_id": "v-jump", "time": (now - timedelta(seconds=20)).isoformat(),
             "lon": lon, "lat": lat},
            {"vehicle_id": "v-jump", "time": (now - timedelta(seconds=10)).isoformat(),
             "lon": lon + 0.2, "lat": lat},
        ]  # fmt: skip
        body = client.post(
            "/api/v1/traffic/probes", json={"points": points}, headers={"X-API-Key": key}
        ).json()
        assert body["accepted"] == 5
        assert body["rejected"] == {
            "duplicate": 1, "future": 1, "outside_area": 1, "stale": 1, "teleport": 1
        }  # fmt: skip
        late = {**good[0], "time": (datetime.fromisoformat(str(good[0]["time"]))
                                    - timedelta(seconds=5)).isoformat()}  # fmt: skip
        body = client.post(
            "/api/v1/traffic/probes", json={"points": [late]}, headers={"X-API-Key": key}
        ).json()
        assert body["rejected"] == {"out_of_order": 1}

    def test_without_the_scope_is_403_and_malformed_is_422(
        self, database: Database, small_network: Path, client: TestClient
    ) -> None:
        point = {
            "vehicle_id": "v1",
            "time": datetime.now(UTC).isoformat(),
            "lon": 106.7,
            "lat": 10.8,
        }
        other = api_key(database, "flood:ingest")
        response = client.post(
            "/api/v1/traffic/probes", json={"points": [point]}, headers={"X-API-Key": other}
        )
        assert response.status_code == 403
        key = api_key(database, "traffic:ingest")
        naive = {**point, "time": "2026-01-01T00:00:00"}
        response = client.post(
            "/api/v1/traffic/probes", json={"points": [naive]}, headers={"X-API-Key": key}
        )
        assert response.status_code == 422


class TestCameras:
    def test_import_upload_and_refusals(
        self, database: Database, small_network: Path, client: TestClient, data_dir: Path
    ) -> None:
        with database.session() as session:
            added, updated = traffic.import_cameras(
                session, path=data_dir / "traffic" / "hcmc_traffic_cameras_2017.geojson"
            )
        assert added + updated == 282
        cameras = client.get("/api/v1/traffic/cameras").json()
        camera_id = cameras[0]["id"]
        key = api_key(database, "traffic:cameras")
        import io

        from PIL import Image

        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
        headers = {"X-API-Key": key, "Content-Type": "image/jpeg"}
        url = f"/api/v1/traffic/cameras/{camera_id}/snapshots"
        response = client.post(url, content=buffer.getvalue(), headers=headers)
        assert response.status_code == 201, response.text
        assert response.json()["snapshot_url"].startswith("/files/")
        assert client.post("/api/v1/traffic/cameras/999999/snapshots",
                           content=buffer.getvalue(), headers=headers).status_code == 404  # fmt: skip
        assert client.post(url, content=b"not an image", headers=headers).status_code == 415
        huge = b"\xff\xd8\xff" + bytes(50 * 1024 * 1024)
        assert client.post(url, content=huge, headers=headers).status_code == 413
        listed = {c["id"]: c for c in client.get("/api/v1/traffic/cameras").json()}
        assert listed[camera_id]["snapshot_url"] == response.json()["snapshot_url"]


def _no_files(_folder: Path) -> None:
    raise AssertionError("the history files were read again")


class TestHistory:
    def test_the_demo_loads_the_camera_register_and_typical_traffic_once(
        self, database: Database, hcmc_network: Path
    ) -> None:
        with database.session() as session:
            session.execute(delete(CameraSnapshot))
            session.execute(delete(Camera))
            session.execute(delete(HistorySegment))
        done = prepare_demo()
        assert len(done) == 2, done
        assert done[0].startswith("282 traffic cameras")
        assert done[1].startswith("typical traffic for ")
        with database.session() as session:
            assert len(repository.cameras(session)) == 282
            assert len(repository.history_segments(session)) == 10_027
        assert prepare_demo() == []  # already there: nothing again

    def test_a_network_gets_typical_traffic_from_the_stored_history_not_the_files(
        self,
        database: Database,
        hcmc_network: Path,
        data_dir: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        with database.session() as session:
            if not repository.history_segments(session):
                traffic.import_history(session, folder=data_dir / "traffic",
                                       train_until=datetime(2020, 12, 15, tzinfo=UTC))  # fmt: skip
        monkeypatch.setattr(traffic_service_module, "load_history", _no_files)
        traffic.reset()  # what a restart or a new road network looks like to traffic
        with database.session() as session:
            state = traffic.state(session)
            joined = join_history(state.index, repository.history_segments(session))
        assert len(joined) > 4000
        assert state.typical_scale is not None
        assert int((~np.isnan(state.typical_scale)).sum()) == len(joined)
        segment, row = joined[0]
        assert state.typical_scale[segment] == row.scale

    def test_forecast_beats_both_baselines_walking_forward_over_the_test_days(
        self, data_dir: Path
    ) -> None:
        history = load_history(data_dir / "traffic")
        split = datetime(2020, 12, 15, tzinfo=UTC).timestamp()
        _profiles, evaluations = evaluate(history, split, window_s=600, fit_days=28)
        assert [e.horizon_min for e in evaluations] == [30, 60]
        for e in evaluations:
            assert e.pairs_test > 5000
            for metric in (e.mae_kmh, e.rmse_kmh):
                assert metric["forecast"] < metric["persistence"], (e.horizon_min, metric)
                assert metric["forecast"] < metric["typical"], (e.horizon_min, metric)
            assert e.los_accuracy["forecast"] > e.los_accuracy["persistence"]
            assert e.los_accuracy["forecast"] > e.los_accuracy["typical"]
            low, high = e.gain_vs_persistence_kmh
            assert high > max(low, 0.0)
        # at 30 minutes the gain over persistence is clear of resampling noise
        assert evaluations[0].gain_vs_persistence_kmh[0] > 0

    def test_the_weight_towards_the_profile_is_kept_only_where_it_helps(self) -> None:
        rng = np.random.default_rng(5)
        n = 4000
        typical = rng.uniform(0.3, 0.9, n)
        now = np.clip(typical + rng.normal(0, 0.25, n), 0.02, 1.2)
        t0 = np.sort(rng.uniform(0, 28 * 86400, n))
        segment = rng.integers(0, 400, n)
        free = np.full(n, 40.0)
        # traffic that returns to its usual state: the profile should pull hard
        reverting = typical + 0.2 * (now - typical) + rng.normal(0, 0.03, n)
        weight = fit_weight(now, typical, reverting, free, t0, segment)
        assert 0.6 <= weight <= 0.95
        # traffic that stays as it is: no pull
        staying = now + rng.normal(0, 0.03, n)
        assert fit_weight(now, typical, staying, free, t0, segment) == 0.0
        # too little evidence: no pull
        assert fit_weight(now[:50], typical[:50], reverting[:50], free[:50], t0[:50],
                          segment[:50]) == 0.0  # fmt: skip


def test_los_labels_are_read_on_the_utc_clock_of_the_reports(tmp_path: Path) -> None:
    """A label for 2020-08-03 period_0_00 is Monday 07:00 in the city (the morning rush), and
    one for period_23_30 of a Sunday is the next Monday 06:30 — not midnight."""
    (tmp_path / "hcmc_2020_observed_segments.csv").write_text(
        "segment_id,s_node_id,e_node_id,max_velocity,long_snode,lat_snode,long_enode,lat_enode\n"
        "33,1,2,40,106.70,10.78,106.71,10.78\n",
        encoding="utf-8",
    )
    (tmp_path / "hcmc_2020_segment_velocity_reports.csv").write_text(
        "_id,updated_at,segment_id,velocity\n1,2020-08-03T00:05:00Z,33,20\n", encoding="utf-8"
    )
    (tmp_path / "hcmc_2020_segment_los.csv").write_text(
        "_id,segment_id,date,weekday,period,LOS\n"
        "1,33,2020-08-03,0,period_0_00,D\n"
        "2,33,2020-08-02,6,period_23_30,C\n",
        encoding="utf-8",
    )
    history = load_history(tmp_path)
    assert history.label_weekday.tolist() == [0, 0]
    assert history.label_slot.tolist() == [14, 13]  # 07:00 and 06:30
    # the report at 00:05 UTC lands in the same local half-hour as the first label
    weekday, slot = traffic_service_module.slot_of(float(history.report_time[0]))
    assert (weekday, slot) == (0, 14)
