"""Traffic alerts: jams detected from crawling probes, incident and flood alerts through the
event bus, saved routes and places (owners, time windows), the alerts API and its SSE
stream, the background wiring and the simulator."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from smartcity.config import Settings
from smartcity.core.db import Database
from smartcity.core.events import DomainEvent, get_bus
from smartcity.main import create_app
from smartcity.roads.service import roads
from smartcity.routing.service import routing
from smartcity.traffic.alerts import ALERT_EVENT, _in_window, alerts
from smartcity.traffic.service import traffic
from smartcity.traffic.simulator import start_simulator
from smartcity.traffic.tasks import background
from support.traffic import api_key, crawl, segments_of, stretch


@pytest.fixture
def events() -> Iterator[list[DomainEvent]]:
    seen: list[DomainEvent] = []
    unsubscribe = get_bus().subscribe(ALERT_EVENT, seen.append)
    yield seen
    unsubscribe()


def _jam(client: TestClient, database: Database, seed: int) -> list[int]:
    """Crawl along a fresh stretch through the probe API; returns its segments."""
    arcs = stretch(database, seed)
    key = api_key(database, "traffic:ingest")
    points = crawl(database, arcs, vehicle=f"crawl{seed}", seed=seed)
    response = client.post(
        "/api/v1/traffic/probes", json={"points": points}, headers={"X-API-Key": key}
    )
    assert response.status_code == 200, response.text
    assert response.json()["matched"] >= 0.8 * len(points)
    return segments_of(database, arcs)


class TestJams:
    def test_a_crawl_over_a_stretch_becomes_a_jam_alert_and_clears(
        self,
        database: Database,
        small_network: Path,
        client: TestClient,
        events: list[DomainEvent],
    ) -> None:
        traffic.reset()
        segments = _jam(client, database, seed=41)
        with database.session() as session:
            changed = alerts.detect_jams(session)
        jams = [a for a in changed if a.kind == "jam" and set(a.segments) & set(segments)]
        assert len(jams) == 1, [(a.kind, a.segments) for a in changed]
        jam = jams[0]
        assert jam.severity in {"heavy", "standstill"}
        assert jam.length_m >= 300
        assert jam.speed_kmh is not None
        assert jam.speed_kmh < 10
        published = [e.payload for e in events if e.payload["id"] == jam.id]
        assert published
        assert published[-1]["status"] == "active"
        # nothing new: the same alert stays, nothing is published again
        with database.session() as session:
            assert [a for a in alerts.detect_jams(session) if a.id == jam.id] == []
        # an hour later, without fresh probes, the stretch is no longer congested
        with database.session() as session:
            later = alerts.detect_jams(session, now=datetime.now(UTC).timestamp() + 3600)
        assert [(a.id, a.status) for a in later if a.id == jam.id] == [(jam.id, "cleared")]

    def test_a_short_or_brief_slowdown_is_not_a_jam(
        self, database: Database, small_network: Path, client: TestClient
    ) -> None:
        traffic.reset()
        arcs = stretch(database, seed=43, min_m=60, max_m=150)
        key = api_key(database, "traffic:ingest")
        points = crawl(database, arcs, vehicle="short", seed=43)
        client.post("/api/v1/traffic/probes", json={"points": points}, headers={"X-API-Key": key})
        mine = set(segments_of(database, arcs))
        with database.session() as session:
            changed = alerts.detect_jams(session)
        assert not [a for a in changed if set(a.segments) & mine]


class TestSubscriptionsAndAlertsApi:
    def test_saved_route_sees_the_jam_on_it_anonymous_owner(
        self, database: Database, small_network: Path, client: TestClient
    ) -> None:
        traffic.reset()
        segments = _jam(client, database, seed=47)
        with database.session() as session:
            alerts.detect_jams(session)
        created = client.post(
            "/api/v1/traffic/subscriptions",
            json={"name": "Nhà → cơ quan", "kind": "route", "segments": segments},
        )
        assert created.status_code == 201, created.text
        body = created.json()
        token = body["subscriber_token"]
        assert token
        assert created.headers["cache-control"] == "no-store"
        assert body["coordinates"]  # drawn from the segments
        mine = {"X-Subscriber-Token": token}
        listed = client.get("/api/v1/traffic/subscriptions", headers=mine).json()
        assert [s["id"] for s in listed] == [body["id"]]
        hits = client.get("/api/v1/traffic/alerts?mine=true", headers=mine).json()
        assert any(a["kind"] == "jam" and set(a["segments"]) & set(segments) for a in hits)
        # someone else (another token) sees none of it and cannot delete it
        other = {"X-Subscriber-Token": "x" * 40}
        assert client.get("/api/v1/traffic/subscriptions", headers=other).json() == []
        assert client.get("/api/v1/traffic/alerts?mine=true", headers=other).json() == []
        gone = client.delete(f"/api/v1/traffic/subscriptions/{body['id']}", headers=other)
        assert gone.status_code == 404
        assert gone.json()["code"] == "subscription_not_found"
        deleted = client.delete(f"/api/v1/traffic/subscriptions/{body['id']}", headers=mine)
        assert deleted.status_code == 204

    def test_route_drawn_as_a_line_is_snapped_to_roads(
        self, database: Database, small_network: Path, client: TestClient
    ) -> None:
        arcs = stretch(database, seed=53)
        with database.session() as session:
            index = traffic.state(session).index
            coords = [list(index.graph.arc_geometry(arc)[0]) for arc in arcs] + [
                list(index.graph.arc_geometry(arcs[-1])[-1])
            ]
        response = client.post(
            "/api/v1/traffic/subscriptions",
            json={"name": "Drawn", "kind": "route", "coordinates": coords,
                  "windows": [{"days": [0, 1, 2, 3, 4], "start": "06:30", "end": "09:00"}]},
        )  # fmt: skip
        assert response.status_code == 201, response.text
        snapped = set(response.json()["segments"])
        expected = set(segments_of(database, arcs))
        assert len(snapped & expected) >= 0.8 * len(expected)

    def test_bad_input_is_a_clear_4xx(
        self, database: Database, small_network: Path, client: TestClient
    ) -> None:
        sea = [[106.95, 10.40], [106.96, 10.41]]
        far = client.post(
            "/api/v1/traffic/subscriptions",
            json={"name": "Biển", "kind": "route", "coordinates": sea},
        )
        assert far.status_code == 422
        assert far.json()["code"] == "subscription_rejected"
        for body in (
            {"name": "x", "kind": "place", "coordinates": [[106.7, 10.78], [106.71, 10.78]]},
            {"name": "x", "kind": "route", "coordinates": [[106.7, 10.78]]},
            {"name": "x", "kind": "route", "segments": [1],
             "windows": [{"start": "25:00", "end": "09:00"}]},
            {"name": "", "kind": "place", "coordinates": [[106.7, 10.78]]},
        ):  # fmt: skip
            assert client.post("/api/v1/traffic/subscriptions", json=body).status_code == 422
        unknown = client.post(
            "/api/v1/traffic/subscriptions",
            json={"name": "x", "kind": "route", "segments": [10**8]},
        )
        assert unknown.status_code == 422
        for query in ("bbox=1,2,3", "bbox=3,2,1,4", "near=106.7,10.7", "near=106.7,10.7,0",
                      "near=a,b,c", "near=106.7,10.7,nan"):  # fmt: skip
            response = client.get(f"/api/v1/traffic/alerts?{query}")
            assert response.status_code == 400, query

    def test_alerts_by_box_and_distance(
        self, database: Database, small_network: Path, client: TestClient
    ) -> None:
        traffic.reset()
        segments = _jam(client, database, seed=59)
        with database.session() as session:
            jam = next(a for a in alerts.detect_jams(session) if set(a.segments) & set(segments))
        lon, lat = jam.lon, jam.lat
        near = client.get(f"/api/v1/traffic/alerts?near={lon},{lat},200").json()
        assert jam.id in [a["id"] for a in near]
        box = f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
        assert jam.id in [a["id"] for a in client.get(f"/api/v1/traffic/alerts?bbox={box}").json()]
        away = client.get(f"/api/v1/traffic/alerts?near={lon + 0.2},{lat},1000").json()
        assert jam.id not in [a["id"] for a in away]

    def test_signed_in_user_owns_subscriptions_through_the_session(
        self, database: Database, small_network: Path, client: TestClient
    ) -> None:
        from smartcity.accounts.service import accounts
        from smartcity.core.models import Role

        with database.session() as session:
            user = accounts.create_user(
                session, email=f"alerts-{id(self)}@example.vn", full_name="Nguyễn Thị Lan",
                password="dung-mat-khau-42", role=Role.citizen,
            )  # fmt: skip
        token = client.post(
            "/api/v1/auth/token", json={"email": user.email, "password": "dung-mat-khau-42"}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        created = client.post(
            "/api/v1/traffic/subscriptions",
            headers=headers,
            json={"name": "Trường", "kind": "place", "coordinates": [[106.70, 10.78]]},
        )
        assert created.status_code == 201
        assert created.json()["subscriber_token"] is None
        listed = client.get("/api/v1/traffic/subscriptions", headers=headers).json()
        assert [s["name"] for s in listed] == ["Trường"]


class TestIncidentAndFloodAlerts:
    def test_incident_posted_by_a_feed_opens_and_closes_an_alert(
        self,
        database: Database,
        small_network: Path,
        client: TestClient,
        events: list[DomainEvent],
    ) -> None:
        background.start(database)
        try:
            key = api_key(database, "traffic:incidents")
            headers = {"X-API-Key": key}
            posted = client.post(
                "/api/v1/traffic/incidents",
                headers=headers,
                json={"kind": "accident", "lon": 106.70, "lat": 10.78, "delay_s": 300},
            )
            assert posted.status_code == 201, posted.text
            incident_id = posted.json()["id"]
            opened = [e.payload for e in events if e.payload["incident_id"] == incident_id]
            assert opened
            assert opened[-1]["kind"] == "incident"
            assert opened[-1]["severity"] == "accident"
            closed = client.post(f"/api/v1/traffic/incidents/{incident_id}/close", headers=headers)
            assert closed.json()["status"] == "closed"
            latest = [e.payload for e in events if e.payload["incident_id"] == incident_id][-1]
            assert latest["status"] == "cleared"
            assert client.post("/api/v1/traffic/incidents/999999/close",
                               headers=headers).status_code == 404  # fmt: skip
            ingest_only = {"X-API-Key": api_key(database, "traffic:ingest")}
            refused = client.post(
                "/api/v1/traffic/incidents",
                headers=ingest_only,
                json={"kind": "accident", "lon": 106.70, "lat": 10.78},
            )
            assert refused.status_code == 403
        finally:
            background.stop()

    def test_flooded_stretch_becomes_a_flood_alert(
        self, database: Database, small_network: Path, events: list[DomainEvent]
    ) -> None:
        arcs = stretch(database, seed=61, min_m=200, max_m=500)
        segments = segments_of(database, arcs)
        with database.session() as session:
            version = traffic.state(session).version
            payload = {
                "network_version": version,
                "depth_cm": {str(s): 25 for s in segments},
                "forecast": False,
            }
            opened = alerts.on_flood_changed(session, payload)
        assert [(a.kind, a.severity) for a in opened] == [("flood", "shallow")]
        with database.session() as session:
            dry = {**payload, "depth_cm": {str(s): 0 for s in segments}}
            cleared = alerts.on_flood_changed(session, dry)
        assert [(a.id, a.status) for a in cleared] == [(opened[0].id, "cleared")]


def test_time_windows_in_city_time_including_overnight() -> None:
    monday_8am = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 08:00 in Ho Chi Minh City
    rush = [{"days": [0, 1, 2, 3, 4], "start": "06:30", "end": "09:00"}]
    assert _in_window(rush, monday_8am)
    assert not _in_window(rush, monday_8am.replace(day=29))  # Sunday
    assert not _in_window(rush, monday_8am.replace(hour=5))  # 12:00
    night = [{"days": [6], "start": "22:00", "end": "02:00"}]
    assert _in_window(night, datetime(2026, 11, 29, 18, 0, tzinfo=UTC))  # Mon 01:00, Sunday's
    assert not _in_window(night, datetime(2026, 11, 29, 20, 0, tzinfo=UTC))  # Monday 03:00
    assert not _in_window(night, datetime(2026, 11, 30, 18, 0, tzinfo=UTC))  # Tuesday 01:00
    assert _in_window([], monday_8am)


def test_the_app_runs_the_background_work_and_stops_it(database: Database) -> None:
    names = {"traffic-publisher", "traffic-push", "reports-outbox", "flood-refresh", "housekeeping"}
    app = create_app(Settings(background=True), database=database)
    with TestClient(app):
        assert names <= {t.name for t in threading.enumerate() if t.is_alive()}
        assert background.unsubscribe
    assert not names & {t.name for t in threading.enumerate()}
    assert background.unsubscribe == []


def _sse_events(response: httpx.Response) -> Iterator[tuple[str, dict[str, object]]]:
    name = ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            yield name, json.loads(line[6:])


def test_stream_pushes_a_jam_on_a_saved_route(
    database: Database, small_network: Path, client: TestClient, live_server: str
) -> None:
    traffic.reset()
    arcs = stretch(database, seed=67)
    segments = segments_of(database, arcs)
    with httpx.Client(base_url=live_server, timeout=20) as http:
        created = http.post(
            "/api/v1/traffic/subscriptions",
            json={"name": "Đi làm", "kind": "route", "segments": segments},
        ).json()
        headers = {"X-Subscriber-Token": created["subscriber_token"]}
        with http.stream("GET", "/api/v1/traffic/alerts/stream", headers=headers) as stream:
            received = _sse_events(stream)
            name, snapshot = next(received)
            assert name == "snapshot"
            assert [s["id"] for s in snapshot["subscriptions"]] == [created["id"]]  # type: ignore[union-attr]
            key = api_key(database, "traffic:ingest")
            points = crawl(database, arcs, vehicle="stream", seed=67)
            http.post("/api/v1/traffic/probes", json={"points": points},
                      headers={"X-API-Key": key})  # fmt: skip
            with database.session() as session:
                alerts.detect_jams(session)
            name, alert = next(received)
        assert name == "alert"
        assert alert["kind"] == "jam"
        assert alert["subscriptions"] == [created["id"]]


def test_simulator_posts_probes_and_camera_pictures_through_the_api(
    database: Database, small_network: Path, live_server: str, data_dir: Path
) -> None:
    with database.session() as session:
        traffic.import_cameras(
            session, path=data_dir / "traffic" / "hcmc_traffic_cameras_2017.geojson"
        )
    thread = start_simulator(live_server, vehicles=4, speedup=30, seed=5, database=database)
    try:
        for _ in range(60):
            if thread.simulator.stats.matched > 0 and thread.simulator.stats.snapshots > 0:
                break
            threading.Event().wait(0.25)
    finally:
        stats = thread.stop()
    assert thread.error is None
    assert stats.trips >= 4
    assert stats.posted > 0
    assert stats.accepted > 0.9 * stats.posted, stats
    assert stats.matched > 0
    assert stats.snapshots > 0, stats
    cameras = httpx.get(live_server + "/api/v1/traffic/cameras").json()
    pictured = [c for c in cameras if c["snapshot_url"]]
    assert pictured
    picture = httpx.get(live_server + pictured[0]["snapshot_url"])
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/jpeg"
    assert stats.errors == 0, stats.last_error


def test_probes_reach_routing_within_a_minute(
    database: Database, small_network: Path, client: TestClient
) -> None:
    """The issue's promise: pings → matched → live speeds → the routing metric in < 60 s,
    through the real background publisher (every 5 s)."""
    traffic.reset()
    arcs = stretch(database, seed=89, min_m=800, max_m=1500)
    crawled = segments_of(database, arcs)[-1]  # the last stretch the crawl went through
    with database.session() as session:
        geometry = roads.index(session).graph.segment_geometry(crawled)
    body = {
        "origin": [float(v) for v in geometry[0]],
        "destination": [float(v) for v in geometry[-1]],
        "profile": "car",
    }
    before = client.post("/api/v1/routes", json=body).json()["features"][0]["properties"]
    points = crawl(database, arcs, vehicle="to-routing", seed=89)
    background.start(database)
    try:
        posted = time.monotonic()
        response = client.post("/api/v1/traffic/probes", json={"points": points},
                               headers={"X-API-Key": api_key(database, "traffic:ingest")})  # fmt: skip
        assert response.status_code == 200, response.text
        after = before
        while time.monotonic() - posted < 60:
            with database.session() as session:
                known = routing.network(session).live.speeds_kmh.get(crawled)
            if known is not None:
                after = client.post("/api/v1/routes", json=body).json()["features"][0]
                after = after["properties"]
                break
            time.sleep(0.25)
        latency_s = time.monotonic() - posted
    finally:
        background.stop()
    assert known is not None, "the crawl's speed never reached routing"
    assert known < 10
    assert latency_s < 60
    # between the two ends of the jammed stretch: through the crawl, or a detour; slower
    assert after["duration_s"] > 2 * before["duration_s"], (before, after)
