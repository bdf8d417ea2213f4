"""POST /api/v1/routes through the real app: answers, options and clear 4xx for bad input."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from smartcity.core.db import Database
from smartcity.routing.service import routing

URL = "/api/v1/routes"


@pytest.fixture
def city_points(small_network: Path, database: Database) -> tuple[list[float], list[float]]:
    """Two junctions far apart in the synthetic city."""
    with database.session() as session:
        graph = routing.network(session).index.graph
    west = int(np.argmin(graph.node_lon + graph.node_lat))
    east = int(np.argmax(graph.node_lon + graph.node_lat))
    return (
        [float(graph.node_lon[west]) + 0.0005, float(graph.node_lat[west]) + 0.0005],
        [float(graph.node_lon[east]) - 0.0005, float(graph.node_lat[east]) - 0.0005],
    )


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def test_route_is_geojson_with_steps_and_durations(
    client: TestClient, city_points: tuple[list[float], list[float]]
) -> None:
    origin, destination = city_points
    response = client.post(
        URL,
        json={"origin": origin, "destination": destination, "profile": "car", "alternatives": 2},
    )
    assert response.status_code == 200, response.text
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    first = collection["features"][0]
    assert first["geometry"]["type"] == "LineString"
    assert len(first["geometry"]["coordinates"]) >= 2
    properties = first["properties"]
    assert properties["distance_m"] > 0
    assert properties["duration_s"] >= properties["free_flow_duration_s"] > 0
    assert properties["steps"][0]["maneuver"] == "depart"
    assert properties["steps"][-1]["maneuver"] == "arrive"
    assert properties["attribution"] == "© OpenStreetMap contributors"
    assert sum(s["distance_m"] for s in properties["steps"]) == pytest.approx(
        properties["distance_m"], rel=0.01
    )
    # alternatives are different routes, never the same line twice
    lines = [tuple(map(tuple, f["geometry"]["coordinates"])) for f in collection["features"]]
    assert len(set(lines)) == len(lines)


def test_steps_follow_the_language(
    client: TestClient, city_points: tuple[list[float], list[float]]
) -> None:
    origin, destination = city_points
    body = {"origin": origin, "destination": destination}
    vi = client.post(URL, json={**body, "language": "vi"}).json()
    en = client.post(URL, json={**body, "language": "en"}).json()
    assert vi["features"][0]["properties"]["steps"][-1]["instruction"] == "Đến nơi"
    assert en["features"][0]["properties"]["steps"][-1]["instruction"] == (
        "Arrive at your destination"
    )


def test_avoid_polygon_changes_the_route_without_rebuilding(
    client: TestClient, city_points: tuple[list[float], list[float]]
) -> None:
    origin, destination = city_points
    plain = client.post(URL, json={"origin": origin, "destination": destination}).json()
    coords = plain["features"][0]["geometry"]["coordinates"]
    lon, lat = coords[len(coords) // 2]
    d = 0.0015
    square = [
        [lon - d, lat - d],
        [lon + d, lat - d],
        [lon + d, lat + d],
        [lon - d, lat + d],
        [lon - d, lat - d],
    ]
    avoided = client.post(
        URL,
        json={
            "origin": origin,
            "destination": destination,
            "avoid": {"polygons": [{"type": "Polygon", "coordinates": [square]}]},
            "language": "en",
        },
    )
    assert avoided.status_code == 200, avoided.text
    feature = avoided.json()["features"][0]
    assert feature["geometry"] != plain["features"][0]["geometry"]
    assert any(n["kind"] == "area_avoided" for n in feature["properties"]["notices"])
    # the request's closure did not leak into the shared metric
    again = client.post(URL, json={"origin": origin, "destination": destination}).json()
    assert again["features"][0]["geometry"] == plain["features"][0]["geometry"]


def test_point_outside_the_city(
    client: TestClient, city_points: tuple[list[float], list[float]]
) -> None:
    origin, _ = city_points
    hanoi = [105.85, 21.02]
    _problem(
        client.post(URL, json={"origin": origin, "destination": hanoi}), 422, "point_outside_city"
    )


def test_point_outside_vietnam_fails_validation(
    client: TestClient, city_points: tuple[list[float], list[float]]
) -> None:
    origin, _ = city_points
    _problem(
        client.post(URL, json={"origin": origin, "destination": [2.35, 48.85]}),
        422,
        "validation_error",
    )


def test_identical_origin_and_destination(
    client: TestClient, city_points: tuple[list[float], list[float]]
) -> None:
    origin, _ = city_points
    _problem(
        client.post(URL, json={"origin": origin, "destination": origin}),
        422,
        "same_origin_destination",
    )


def test_self_intersecting_polygon(
    client: TestClient, city_points: tuple[list[float], list[float]]
) -> None:
    origin, destination = city_points
    lon, lat = origin
    bowtie = [
        [lon, lat],
        [lon + 0.01, lat + 0.01],
        [lon + 0.01, lat],
        [lon, lat + 0.01],
        [lon, lat],
    ]
    body = _problem(
        client.post(
            URL,
            json={
                "origin": origin,
                "destination": destination,
                "avoid": {"polygons": [{"type": "Polygon", "coordinates": [bowtie]}]},
            },
        ),
        422,
        "invalid_polygon",
    )
    assert "Self-intersection" in body["detail"]


def test_ten_thousand_vertex_polygon_is_refused_quickly(
    client: TestClient, city_points: tuple[list[float], list[float]]
) -> None:
    origin, destination = city_points
    angles = np.linspace(0, 2 * np.pi, 10_000)
    ring = [[origin[0] + 0.01 * np.cos(a), origin[1] + 0.01 * np.sin(a)] for a in angles]
    ring[-1] = ring[0]
    started = time.perf_counter()
    response = client.post(
        URL,
        json={
            "origin": origin,
            "destination": destination,
            "avoid": {"polygons": [{"type": "Polygon", "coordinates": [ring]}]},
        },
    )
    assert time.perf_counter() - started < 5
    _problem(response, 422, "polygon_too_large")


def test_unknown_profile_and_too_many_alternatives(
    client: TestClient, city_points: tuple[list[float], list[float]]
) -> None:
    origin, destination = city_points
    body = {"origin": origin, "destination": destination}
    _problem(client.post(URL, json={**body, "profile": "truck"}), 422, "validation_error")
    _problem(client.post(URL, json={**body, "alternatives": 3}), 422, "validation_error")


def test_destination_closed_off_gives_no_route(
    client: TestClient, city_points: tuple[list[float], list[float]]
) -> None:
    origin, destination = city_points
    lon, lat = destination
    d = 0.003
    box = [
        [lon - d, lat - d],
        [lon + d, lat - d],
        [lon + d, lat + d],
        [lon - d, lat + d],
        [lon - d, lat - d],
    ]
    _problem(
        client.post(
            URL,
            json={
                "origin": origin,
                "destination": destination,
                "avoid": {"polygons": [{"type": "Polygon", "coordinates": [box]}]},
            },
        ),
        422,
        "no_route",
    )


def test_unknown_address_is_not_found(
    client: TestClient, city_points: tuple[list[float], list[float]]
) -> None:
    origin, _ = city_points
    _problem(
        client.post(URL, json={"origin": origin, "destination": "Đường Không Có Thật 999"}),
        404,
        "address_not_found",
    )
