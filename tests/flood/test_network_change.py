"""A new road network (a fresh OSM import) moves the flood points onto it, so their water keeps
reaching routing: before, points kept the old segment ids and were silently left out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from smartcity.core.db import Database
from smartcity.core.events import DomainEvent, get_bus
from smartcity.flood.models import FloodPoint
from smartcity.flood.service import flood
from smartcity.roads import repository as roads_repository
from smartcity.roads.service import roads
from smartcity.routing_engine.artefact import sha256_file

BEN_THANH = (106.69805, 10.77245)


def test_flood_points_follow_a_new_road_network(
    database: Database, small_network: Path, hcmc_pbf: Path, client: TestClient
) -> None:
    """(``client``: the app, whose start-up subscribes the flood handlers.)"""
    now = datetime.now(UTC)
    with database.session() as session:
        for dx in (0.0, 0.0003):  # two reports corroborate: routed on
            report = flood.add_report(
                session, lon=BEN_THANH[0] + dx, lat=BEN_THANH[1], depth_cm=40, now=now
            )
        point_id = report.point_id
        before = roads_repository.active_network(session)
        assert before is not None
    seen: list[DomainEvent] = []
    unsubscribe = get_bus().subscribe("flood.segments_changed", seen.append)
    try:
        if before.source_sha256 != sha256_file(hcmc_pbf):
            roads.import_osm(database, hcmc_pbf, synthetic=False)  # publishes network_changed
    finally:
        unsubscribe()
    with database.session() as session:
        active = roads_repository.active_network(session)
        assert active is not None
        point = session.get(FloodPoint, point_id)
        assert point is not None
        assert point.network_version == active.version
        assert point.segments, "snapped onto the new network's streets"
        assert point.published_cm > 0
    published = {
        int(s): d
        for e in seen
        if e.payload["network_version"] == active.version and not e.payload["forecast"]
        for s, d in e.payload["depth_cm"].items()
    }
    assert set(point.segments) <= set(published)
    assert all(published[s] > 0 for s in point.segments)
