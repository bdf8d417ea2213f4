"""Flood test helpers: an ingest API key and a station set up through the STA API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smartcity.accounts.schemas import ApiKeyCreate
from smartcity.accounts.service import accounts
from smartcity.core.db import Database
from smartcity.flood.service import flood

STA = "/api/sta/v1.1"


@pytest.fixture
def ingest_key(database: Database) -> str:
    with database.session() as session:
        created = accounts.create_api_key(
            session,
            data=ApiKeyCreate(name="Cổng cảm biến ngập", scopes=["flood:ingest"]),
            creator=None,
        )
        return created.key


@pytest.fixture
def subscriber_key(database: Database) -> str:
    """A client app subscribed to flood alerts for its user's route."""
    with database.session() as session:
        created = accounts.create_api_key(
            session,
            data=ApiKeyCreate(name="Ứng dụng cảnh báo", scopes=["flood:read"]),
            creator=None,
        )
        return created.key


@pytest.fixture
def make_station(client: TestClient, ingest_key: str) -> Callable[..., dict[str, Any]]:
    """POST a Thing with its Location and one Datastream (unit symbol decides the kind)."""

    def make(
        name: str = "Cảm biến mực nước",
        *,
        lon: float = 106.70,
        lat: float = 10.78,
        symbol: str = "cm",
        point_id: int | None = None,
    ) -> dict[str, Any]:
        headers = {"X-API-Key": ingest_key}
        properties = {"flood_point_id": point_id} if point_id is not None else {}
        thing = client.post(
            f"{STA}/Things",
            json={
                "name": name,
                "description": "test",
                "properties": properties,
                "Locations": [
                    {
                        "name": name,
                        "description": "",
                        "encodingType": "application/geo+json",
                        "location": {"type": "Point", "coordinates": [lon, lat]},
                    }
                ],
            },
            headers=headers,
        )
        assert thing.status_code == 201, thing.text
        stream = client.post(
            f"{STA}/Datastreams",
            json={
                "name": f"{name} ({symbol})",
                "description": "",
                "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
                "unitOfMeasurement": {"name": symbol, "symbol": symbol, "definition": ""},
                "Thing": {"@iot.id": thing.json()["@iot.id"]},
                "Sensor": {
                    "name": "sensor",
                    "description": "",
                    "encodingType": "text/plain",
                    "metadata": "",
                },
                "ObservedProperty": {"name": symbol, "definition": "", "description": ""},
            },
            headers=headers,
        )
        assert stream.status_code == 201, stream.text
        return {"thing": thing.json(), "datastream": stream.json(), "headers": headers}

    return make


@pytest.fixture
def hotspots(database: Database, hcmc_network: Path, data_dir: Path) -> dict[str, dict[str, Any]]:
    """The 127 real flood-prone streets on the real network, by name."""
    with database.session() as session:
        report = flood.import_hotspots(
            session, path=data_dir / "flood" / "hcmc_flood_hotspots_streets.csv"
        )
        assert report.imported + report.updated == 127
        assert report.flagged == 6  # nominatim_s4_unverified: shown, never routed on
        features = flood.points_geojson(session, now=datetime.now(UTC))["features"]
    return {f["properties"]["name"]: f for f in reversed(features)}
