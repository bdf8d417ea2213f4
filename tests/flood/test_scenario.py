"""The acceptance scenario on the real network: a storm floods Nguyễn Hữu Cảnh past the car
limit while Ung Văn Khiêm stays shallow; routing gets per-segment depths, a subscriber on the
flooded route is alerted, and everything returns to 0 when the water recedes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smartcity.core.db import Database
from smartcity.core.events import DomainEvent, get_bus
from smartcity.flood import simulator
from smartcity.flood.service import flood

CAR_LIMIT_CM = 30  # domain-vn.md §6: sedans avoid ~25–30 cm
MOTORBIKE_LIMIT_CM = 20


@pytest.fixture
def events() -> Iterator[list[DomainEvent]]:
    seen: list[DomainEvent] = []
    unsubscribe = get_bus().subscribe("flood.segments_changed", seen.append)
    yield seen
    unsubscribe()


def _stations(
    client: TestClient, key: dict[str, str], points: list[dict[str, Any]], suffix: str = ""
) -> simulator.Stations:
    """A rain gauge, the Phú An tide gauge and a depth sensor at each flood point."""
    return simulator.Stations(
        rain=simulator._station(client, key, "Trạm mưa" + suffix, 106.667, 10.797, "mm"),
        tide=simulator._station(client, key, "Phú An" + suffix, 106.7567, 10.7754, "m"),
        depth={
            p["id"]: simulator._station(
                client,
                key,
                p["properties"]["name"] + suffix,
                *p["geometry"]["coordinates"],
                "cm",
                p["id"],
            )
            for p in points
        },
    )


def _merged(events: list[DomainEvent]) -> dict[int, float]:
    depths: dict[int, float] = {}
    for event in events:
        assert event.payload["forecast"] is False
        depths.update({int(s): d for s, d in event.payload["depth_cm"].items()})
    return depths


def test_storm_floods_a_main_route_and_recedes(
    client: TestClient,
    database: Database,
    hotspots: dict[str, dict[str, Any]],
    ingest_key: str,
    events: list[DomainEvent],
    subscriber_key: str,
) -> None:
    nhc, uvk = hotspots["Nguyễn Hữu Cảnh"], hotspots["Ung Văn Khiêm"]
    with database.session() as session:
        nhc_segments = flood.get_entity(session, flood_point_model(), nhc["id"]).segments
        uvk_segments = flood.get_entity(session, flood_point_model(), uvk["id"]).segments
    assert nhc_segments
    assert uvk_segments
    assert not set(nhc_segments) & set(uvk_segments)

    headers = {"X-API-Key": subscriber_key}
    route = client.post(
        "/api/v1/flood/subscriptions",
        json={"label": "Đường đi làm", "segments": nhc_segments[:3]},
        headers=headers,
    )
    assert route.status_code == 201, route.text

    key = {"X-API-Key": ingest_key}
    stations = _stations(client, key, [nhc, uvk])
    simulator.post_step(
        client,
        key,
        stations,
        rain_mm_h=80.0,
        tide_m=1.2,
        depths={nhc["id"]: 45.0, uvk["id"]: 15.0},
        at=datetime.now(UTC),
    )

    depths = _merged(events)
    assert all(depths[s] == 45.0 for s in nhc_segments)
    assert CAR_LIMIT_CM < 45.0
    assert all(depths[s] == 15.0 for s in uvk_segments)
    assert MOTORBIKE_LIMIT_CM > 15.0
    shown = {
        f["id"]: f["properties"] for f in client.get("/api/v1/flood/points").json()["features"]
    }
    assert shown[nhc["id"]]["depth_cm"] == 45.0
    assert shown[nhc["id"]]["source"] == "sensor"
    assert shown[nhc["id"]]["state"] == "pooling"  # deep but not yet 15 min: not by criterion

    alerts = client.get("/api/v1/flood/alerts", headers=headers).json()
    mine = [a for a in alerts if a["subscription_id"] == route.json()["id"]]
    assert mine
    assert mine[0]["depth_cm"] == 45.0
    assert "45" in mine[0]["message"]

    events.clear()
    simulator.post_step(
        client,
        key,
        stations,
        rain_mm_h=0.0,
        tide_m=0.5,
        depths={nhc["id"]: 0.0, uvk["id"]: 0.0},
        at=datetime.now(UTC),
    )
    depths = _merged(events)
    assert {s: depths[s] for s in nhc_segments + uvk_segments} == dict.fromkeys(
        nhc_segments + uvk_segments, 0.0
    )
    with database.session() as session:
        assert flood.live_depths(session)[1] == {} or not set(flood.live_depths(session)[1]) & set(
            nhc_segments
        )


def flood_point_model() -> type[Any]:
    from smartcity.flood.models import FloodPoint

    return FloodPoint


def test_simulator_plays_a_real_storm_through_the_public_apis(
    client: TestClient,
    hotspots: dict[str, dict[str, Any]],
    ingest_key: str,
    data_dir: Path,
    events: list[DomainEvent],
) -> None:
    wettest = simulator.storms(data_dir)[0]
    assert wettest.daily_mm == pytest.approx(79.03)  # the wettest day of 2010–2019 in the file
    assert sum(wettest.hourly_mm) == pytest.approx(wettest.daily_mm, abs=0.1)
    logged: list[str] = []
    stations = simulator.run(
        client, {"X-API-Key": ingest_key}, storm=wettest, interval=0, log=logged.append
    )
    assert len(stations.depth) == 12
    assert len(logged) == 24
    assert any(event.payload["depth_cm"] for event in events), "the storm flooded some segments"
    assert any(
        f["properties"]["source"] == "report" or f["properties"]["depth_cm"] >= 0
        for f in client.get("/api/v1/flood/points").json()["features"]
    )


def _ends_beside(segments: list[int], database: Database) -> tuple[list[float], list[float]]:
    """Two points on other streets just beyond each end of a flooded street."""
    import numpy as np
    import shapely

    from smartcity.roads.service import roads

    with database.session() as session:
        index = roads.index(session)
    street = shapely.line_merge(shapely.union_all(index.lines[segments]))
    coords = np.concatenate([np.asarray(g.coords) for g in getattr(street, "geoms", [street])])
    # the two vertices farthest apart are the street's ends
    far = np.linalg.norm(coords[:, None, :] - coords[None, :, :], axis=2)
    first, last = np.unravel_index(np.argmax(far), far.shape)
    ends = []
    for end in (coords[first], coords[last]):
        beside = next(
            s
            for s, _ in index.nearest_segments(float(end[0]), float(end[1]), max_distance_m=400)
            if s not in segments and index.segment_properties(s)["car"]
        )
        point = index.lines[beside].interpolate(0.5, normalized=True)
        ends.append([point.x, point.y])
    return ends[0], ends[1]


def _route_uses(client: TestClient, profile: str, ends: tuple[list[float], list[float]]) -> Any:
    import shapely

    response = client.post(
        "/api/v1/routes",
        json={"origin": ends[0], "destination": ends[1], "profile": profile, "language": "en"},
    )
    assert response.status_code == 200, response.text
    feature = response.json()["features"][0]
    return shapely.LineString(feature["geometry"]["coordinates"]), feature["properties"]


def test_car_goes_around_deep_water_while_a_motorbike_crosses_shallow_water(
    client: TestClient,
    database: Database,
    hotspots: dict[str, dict[str, Any]],
    ingest_key: str,
) -> None:
    """Issue 7's check across modules: flood (sensors) → events → routing (per vehicle)."""
    from smartcity.roads.service import roads

    nhc, uvk = hotspots["Nguyễn Hữu Cảnh"], hotspots["Ung Văn Khiêm"]
    with database.session() as session:
        nhc_segments = flood.get_entity(session, flood_point_model(), nhc["id"]).segments
        uvk_segments = flood.get_entity(session, flood_point_model(), uvk["id"]).segments
        lines = roads.index(session).lines
    car_trip = _ends_beside(nhc_segments, database)
    bike_trip = _ends_beside(uvk_segments, database)

    def on(line: Any, segments: list[int]) -> bool:
        return any(line.buffer(2e-5).covers(lines[s]) for s in segments)

    car_dry, _ = _route_uses(client, "car", car_trip)
    bike_dry, _ = _route_uses(client, "motorbike", bike_trip)
    assert on(car_dry, nhc_segments), "the dry car route should use Nguyễn Hữu Cảnh"
    assert on(bike_dry, uvk_segments), "the dry motorbike route should use Ung Văn Khiêm"

    key = {"X-API-Key": ingest_key}
    stations = _stations(client, key, [nhc, uvk], suffix=" B")
    simulator.post_step(
        client,
        key,
        stations,
        rain_mm_h=80.0,
        tide_m=1.2,
        depths={nhc["id"]: 45.0, uvk["id"]: 15.0},
        at=datetime.now(UTC),
    )
    car_wet, car_props = _route_uses(client, "car", car_trip)
    bike_wet, bike_props = _route_uses(client, "motorbike", bike_trip)
    assert not on(car_wet, nhc_segments), "45 cm is past the car limit: go around"
    assert any(n["kind"] == "flood_avoided" for n in car_props["notices"])
    assert on(bike_wet, uvk_segments), "15 cm is below the motorbike limit: keep going"
    assert any(n["kind"] == "flood_crossed" for n in bike_props["notices"])

    simulator.post_step(
        client,
        key,
        stations,
        rain_mm_h=0.0,
        tide_m=0.5,
        depths={nhc["id"]: 0.0, uvk["id"]: 0.0},
        at=datetime.now(UTC),
    )
    car_again, car_again_props = _route_uses(client, "car", car_trip)
    assert on(car_again, nhc_segments)
    assert car_again_props["notices"] == []
