"""A route across the Saigon river leaves a flooded bridge and comes back when the water drops."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from smartcity.core.db import Database
from smartcity.core.events import publish_after_commit
from smartcity.routing.service import routing
from smartcity.routing_engine.graph import SEGMENT_BRIDGE

BINH_THANH = (106.7105, 10.7985)  # Điện Biên Phủ near Hàng Xanh
THAO_DIEN = (106.7390, 10.8030)  # District 2, across the river


def _route(client: TestClient) -> dict[str, Any]:
    response = client.post(
        "/api/v1/routes",
        json={"origin": BINH_THANH, "destination": THAO_DIEN, "profile": "car", "language": "en"},
    )
    assert response.status_code == 200, response.text
    feature: dict[str, Any] = response.json()["features"][0]
    return feature


def _flood(
    database: Database, version: str, depth_cm: dict[int, float], *, forecast: bool = False
) -> None:
    with database.session() as session:  # published when this transaction commits
        publish_after_commit(
            session,
            "flood.segments_changed",
            network_version=version,
            depth_cm=depth_cm,
            forecast=forecast,
        )


def test_flooded_bridge_is_avoided_then_used_again(
    hcmc_network: Path, database: Database, client: TestClient
) -> None:
    dry = _route(client)
    with database.session() as session:
        network = routing.network(session)
    graph = network.index.graph
    # The bridge segments the dry route crosses: locate them on its line.
    import shapely

    line = shapely.LineString(dry["geometry"]["coordinates"])
    near = network.index.tree.query(line.buffer(1e-6), predicate="intersects")
    bridges = [
        int(s)
        for s in near
        if graph.segment_flags[s] & SEGMENT_BRIDGE
        and graph.segment_name[s].startswith("Cầu Sài Gòn")
    ]
    assert bridges, "the dry route should cross the Saigon bridge"

    # water expected later does not close the bridge now
    _flood(database, network.version, dict.fromkeys(bridges, 40.0), forecast=True)
    assert _route(client)["geometry"] == dry["geometry"]

    started = time.perf_counter()
    _flood(database, network.version, dict.fromkeys(bridges, 40.0))
    flooded = _route(client)
    latency_s = time.perf_counter() - started
    assert latency_s < 1.0
    assert flooded["geometry"] != dry["geometry"]
    flooded_line = shapely.LineString(flooded["geometry"]["coordinates"])
    assert not any(flooded_line.covers(network.index.lines[s]) for s in bridges)
    assert flooded["properties"]["duration_s"] > dry["properties"]["duration_s"]
    notices = flooded["properties"]["notices"]
    assert any(n["kind"] == "flood_avoided" and n["depth_cm"] == 40 for n in notices), notices
    assert any("Avoided Cầu Sài Gòn" in n["message"] and "40 cm" in n["message"] for n in notices)

    # Shallow water (10 cm) is passable for cars: slower, and said so.
    _flood(database, network.version, dict.fromkeys(bridges, 10.0))
    shallow = _route(client)
    assert shallow["properties"]["duration_s"] >= dry["properties"]["duration_s"]
    assert any(n["kind"] == "flood_crossed" for n in shallow["properties"]["notices"])

    _flood(database, network.version, dict.fromkeys(bridges, 0.0))
    again = _route(client)
    assert again["geometry"] == dry["geometry"]
    assert again["properties"]["duration_s"] == dry["properties"]["duration_s"]
    assert again["properties"]["notices"] == []
