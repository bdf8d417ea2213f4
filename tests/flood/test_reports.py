"""Flood reports: depth words, photos, refusals that leave nothing behind, report.created."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from smartcity.core.db import Database
from smartcity.core.events import DomainEvent, get_bus
from smartcity.flood import repository as repo
from smartcity.flood.models import DepthSource, FloodPoint, FloodReport, PointState
from smartcity.flood.service import REPORT_RADIUS_M, flood, next_state
from smartcity.flood.tasks import refresh
from smartcity.roads.service import roads


def _on_street(database: Database, where: float) -> tuple[float, float]:
    """A point on a street at a west→east fraction of the city, so that each test's
    reports are far from the others'."""
    with database.session() as session:
        lines = roads.index(session).lines
    middles = sorted(
        (float(x), float(y))
        for x, y in (line.interpolate(0.5, normalized=True).coords[0] for line in lines)
    )
    return middles[int(where * (len(middles) - 1))]


def _away_from_points(database: Database) -> tuple[float, float]:
    """A street with no flood point near enough to take its reports (other tests leave
    points behind)."""
    for tenth in range(20, 80):
        lon, lat = _on_street(database, tenth / 100)
        with database.session() as session:
            if not repo.points_near(session, lon, lat, 3 * REPORT_RADIUS_M / 100_000):
                return lon, lat
    raise AssertionError("no street away from the flood points")


def _count(database: Database) -> int:
    with database.session() as session:
        return session.query(FloodReport).count()


def test_report_with_photo_and_refusals(
    client: TestClient, database: Database, small_network: Path
) -> None:
    lon, lat = _on_street(database, 0.05)
    import io

    from PIL import Image

    jpeg = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 90, 200)).save(jpeg, "JPEG")
    ok = client.post(
        "/api/v1/flood/reports",
        data={"lon": str(lon), "lat": str(lat), "depth": "knee"},
        files={"photo": ("ngap.jpg", jpeg.getvalue(), "image/jpeg")},
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["depth_cm"] == 40.0
    assert ok.json()["photo_sha256"]
    before = _count(database)
    not_image = client.post(
        "/api/v1/flood/reports",
        data={"lon": str(lon), "lat": str(lat), "depth": "knee"},
        files={"photo": ("ngap.jpg", b"MZ\x90\x00 not a photo", "image/jpeg")},
    )
    assert not_image.status_code == 415
    assert not_image.json()["code"] == "unsupported_media_type"
    far = client.post(
        "/api/v1/flood/reports", data={"lon": "107.4", "lat": "10.35", "depth_cm": "30"}
    )
    assert far.status_code == 422
    assert far.json()["code"] == "far_from_street"
    deep = client.post(
        "/api/v1/flood/reports", data={"lon": str(lon), "lat": str(lat), "depth_cm": "2000"}
    )
    assert deep.status_code == 422
    assert deep.json()["code"] == "impossible_observation"
    assert _count(database) == before, "refused reports store nothing"


def test_unverified_reports_count_less_fade_and_corroborate(
    database: Database, small_network: Path
) -> None:
    lon, lat = _on_street(database, 0.5)
    now = datetime.now(UTC)
    with database.session() as session:
        first = flood.add_report(session, lon=lon, lat=lat, depth_cm=40, now=now)
        point = session.get(FloodPoint, first.point_id)
        assert point is not None
        assert point.depth_source is DepthSource.report
        assert point.confidence < 0.5
        assert point.published_cm == 0, "one unverified report is shown but not routed on"
        flood.add_report(session, lon=lon + 0.0003, lat=lat, depth_cm=30, now=now)
        assert point.confidence >= 0.5, "two reports corroborate"
        assert point.published_cm == 35.0
        flood.tick(session, now=now + timedelta(minutes=80))
        assert point.confidence < 0.5, "reports fade"
        assert point.published_cm == 0
        flood.tick(session, now=now + timedelta(minutes=100))
        assert point.depth_cm == 0
        assert point.state is PointState.dry


def test_report_created_event_feeds_the_fusion(database: Database, small_network: Path) -> None:
    lon, lat = _on_street(database, 0.95)
    event = DomainEvent(
        "report.created",
        {
            "report_id": 991,
            "category": "flooding",
            "lon": lon,
            "lat": lat,
            "ward_code": None,
            "status": "new",
            "fields": {"water_depth": "thigh"},
        },
    )
    from smartcity.flood.tasks import on_report_created

    on_report_created(event)
    on_report_created(event)  # delivered twice: still one report
    with database.session() as session:
        reports = session.query(FloodReport).filter(FloodReport.external_id == "report:991").all()
        assert len(reports) == 1
        assert reports[0].depth_cm == 60.0
    get_bus()  # the handler is what main.create_app subscribes


def test_state_machine_pooling_is_not_flooded_until_it_lasts() -> None:
    start = datetime(2025, 10, 8, 9, tzinfo=UTC)
    kwargs = {"min_depth": 10.0, "dry": 2.0, "min_duration": timedelta(minutes=15)}
    assert (
        next_state(PointState.dry, depth=25, previous_depth=0, wet_since=start, now=start, **kwargs)
        is PointState.pooling
    )
    assert (
        next_state(
            PointState.pooling,
            depth=25,
            previous_depth=25,
            wet_since=start,
            now=start + timedelta(minutes=20),
            **kwargs,
        )
        is PointState.flooded
    )
    assert (
        next_state(
            PointState.flooded,
            depth=15,
            previous_depth=25,
            wet_since=start,
            now=start + timedelta(minutes=40),
            **kwargs,
        )
        is PointState.receding
    )
    assert (
        next_state(
            PointState.receding,
            depth=1,
            previous_depth=15,
            wet_since=None,
            now=start + timedelta(minutes=60),
            **kwargs,
        )
        is PointState.dry
    )


def test_the_refresh_fades_reports_and_publishes_the_forecast_apart_from_the_water(
    database: Database, small_network: Path
) -> None:
    """What the background refresh does every few minutes, run here on a clock of its own."""
    lon, lat = _away_from_points(database)
    now = datetime.now(UTC)
    seen: list[DomainEvent] = []
    unsubscribe = get_bus().subscribe("flood.segments_changed", seen.append)
    try:
        with database.session() as session:
            first = flood.add_report(session, lon=lon, lat=lat, depth_cm=40, now=now)
            flood.add_report(session, lon=lon + 0.0003, lat=lat, depth_cm=40, now=now)
            point_id = first.point_id
        observed = [e.payload for e in seen if not e.payload["forecast"]]
        assert any(d >= 35 for p in observed for d in p["depth_cm"].values())
        refresh(database, now=now + timedelta(minutes=1))
        forecasts = [e.payload for e in seen if e.payload["forecast"]]
        assert forecasts, "the forecast's depths are published, marked as a forecast"
        refresh(database, now=now + timedelta(minutes=100))
        with database.session() as session:
            point = session.get(FloodPoint, point_id)
            assert point is not None
            assert point.state is PointState.dry, "nobody confirmed it: the reports faded"
    finally:
        unsubscribe()
    dried = [e.payload for e in seen if not e.payload["forecast"]][-1]
    assert set(dried["depth_cm"].values()) == {0.0}
