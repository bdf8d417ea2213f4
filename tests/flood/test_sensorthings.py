"""SensorThings subset: a third-party client (frost-sta-client), validation, idempotency."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import frost_sta_client as fsc
import pytest
from fastapi.testclient import TestClient
from frost_sta_client.service.auth_handler import AuthHandler
from requests.auth import AuthBase
from requests.models import PreparedRequest

STA = "/api/sta/v1.1"


class ApiKeyAuth(AuthBase):
    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["X-API-Key"] = self.key
        return request


class ApiKeyHandler(AuthHandler):
    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def add_auth_header(self) -> AuthBase:
        return ApiKeyAuth(self.key)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def test_frost_client_creates_and_reads_entities(live_server: str, ingest_key: str) -> None:
    service = fsc.SensorThingsService(f"{live_server}{STA}", auth_handler=ApiKeyHandler(ingest_key))
    point = fsc.Location(
        name="Phú An",
        description="trạm triều",
        encoding_type="application/geo+json",
        location={"type": "Point", "coordinates": [106.7567, 10.7754]},
    )
    name = f"Trạm triều Phú An {uuid.uuid4().hex[:8]}"
    thing = fsc.Thing(name=name, description="sông Sài Gòn", locations=[point])
    service.create(thing)
    assert isinstance(thing.id, int)
    sensor = fsc.Sensor(name="radar", description="", encoding_type="text/plain", metadata="")
    prop = fsc.ObservedProperty(
        name="mực nước", definition="http://example.org/tide", description=""
    )
    stream = fsc.Datastream(
        name="Mực triều",
        description="",
        observation_type="http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
        unit_of_measurement=fsc.UnitOfMeasurement(name="metre", symbol="m", definition=""),
        thing=thing,
        sensor=sensor,
        observed_property=prop,
    )
    service.create(sensor)
    service.create(prop)
    service.create(stream)
    start = _now() - timedelta(hours=3)
    for i in range(3):
        obs = fsc.Observation(
            result=1.1 + i / 10,
            phenomenon_time=(start + timedelta(hours=i)).isoformat(),
            datastream=stream,
        )
        service.create(obs)
        assert isinstance(obs.id, int)
    # dataArray batch through the client's own CreateObservations support
    array = fsc.model.ext.data_array_value.DataArrayValue()
    array.components = {
        fsc.model.ext.data_array_value.DataArrayValue.Property.PHENOMENON_TIME,
        fsc.model.ext.data_array_value.DataArrayValue.Property.RESULT,
    }
    array.datastream = stream
    for i in range(3, 6):
        array.add_observation(
            fsc.Observation(
                result=1.1 + i / 10,
                phenomenon_time=(start + timedelta(hours=i - 6)).isoformat(),
                datastream=stream,
            )
        )
    document = fsc.model.ext.data_array_document.DataArrayDocument()
    document.add_data_array_value(array)
    links = service.observations().create(document)
    assert len(links) == 3

    found = list(service.things().query().filter(f"name eq '{name}'").list())
    assert [t.id for t in found] == [thing.id]
    readings = (
        service.observations()
        .query()
        .filter(f"Datastream/id eq {stream.id} and result ge 1.2")
        .orderby("phenomenonTime", "desc")
        .top(2)
        .list()
    )
    # the client follows @iot.nextLink pages of $top=2: newest first, 1.1 filtered out
    values = [round(o.result, 2) for o in readings]
    assert values == [1.3, 1.2, 1.6, 1.5, 1.4]
    fetched = service.datastreams().find(stream.id)
    assert fetched.name == "Mực triều"


def test_navigation_links_and_query_options(
    client: TestClient, make_station: Callable[..., dict[str, Any]]
) -> None:
    station = make_station("Trạm mưa Tân Sơn Hoà", symbol="mm")
    thing = station["thing"]
    assert thing["@iot.selfLink"].endswith(f"/Things({thing['@iot.id']})")
    assert thing["Datastreams@iot.navigationLink"].endswith("/Datastreams")
    streams = client.get(
        thing["Datastreams@iot.navigationLink"]
        .split("testserver")[-1]
        .replace("http://127.0.0.1", "")
    )
    assert streams.status_code == 200
    assert streams.json()["value"][0]["properties"]["kind"] == "rainfall"
    listing = client.get(f"{STA}/Things", params={"$top": "1", "$count": "true"})
    body = listing.json()
    assert len(body["value"]) == 1
    assert body["@iot.count"] >= 1
    if body["@iot.count"] > 1:
        assert "$skip=1" in body["@iot.nextLink"]


def _batch(datastream_id: int, rows: list[list[Any]]) -> list[dict[str, Any]]:
    return [
        {
            "Datastream": {"@iot.id": datastream_id},
            "components": ["phenomenonTime", "result"],
            "dataArray@iot.count": len(rows),
            "dataArray": rows,
        }
    ]


def test_resending_is_idempotent_and_late_data_is_accepted(
    client: TestClient, make_station: Callable[..., dict[str, Any]]
) -> None:
    station = make_station("Trạm mưa 2", symbol="mm")
    ds = station["datastream"]["@iot.id"]
    now = _now()
    rows = [[(now - timedelta(minutes=10 * i)).isoformat(), float(i)] for i in range(5)]
    first = client.post(
        f"{STA}/CreateObservations", json=_batch(ds, rows), headers=station["headers"]
    )
    again = client.post(
        f"{STA}/CreateObservations", json=_batch(ds, rows), headers=station["headers"]
    )
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    late = client.post(
        f"{STA}/Datastreams({ds})/Observations",
        json={"phenomenonTime": (now - timedelta(days=3)).isoformat(), "result": 7.0},
        headers=station["headers"],
    )
    assert late.status_code == 201
    stored = client.get(f"{STA}/Datastreams({ds})/Observations", params={"$count": "true"}).json()
    assert stored["@iot.count"] == 6
    # the late reading did not move the datastream's "latest" back
    assert client.get(f"{STA}/Datastreams({ds})").json()["phenomenonTime"] == rows[0][0].replace(
        "+00:00", "Z"
    )


@pytest.mark.parametrize(
    ("symbol", "value", "delta", "message"),
    [
        ("mm", -1.0, timedelta(0), "-1.0"),
        ("cm", 2000.0, timedelta(0), "2000.0"),
        ("cm", 5.0, timedelta(hours=2), "tương lai"),
    ],
)
def test_impossible_values_reject_the_whole_batch(
    client: TestClient,
    make_station: Callable[..., dict[str, Any]],
    symbol: str,
    value: float,
    delta: timedelta,
    message: str,
) -> None:
    station = make_station(f"Trạm {symbol}", symbol=symbol)
    ds = station["datastream"]["@iot.id"]
    now = _now()
    rows = [[(now - timedelta(minutes=5)).isoformat(), 1.0], [(now + delta).isoformat(), value]]
    response = client.post(
        f"{STA}/CreateObservations", json=_batch(ds, rows), headers=station["headers"]
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == 422
    assert body["type"] == "error"
    assert body["error"] == "impossible_observation"
    assert message in body["message"]
    assert "1" in body["message"]
    stored = client.get(f"{STA}/Datastreams({ds})/Observations", params={"$count": "true"}).json()
    assert stored["@iot.count"] == 0, "nothing of the refused batch is stored"


def test_unknown_datastream_and_bad_queries(
    client: TestClient, make_station: Callable[..., dict[str, Any]]
) -> None:
    station = make_station("Trạm 3")
    response = client.post(
        f"{STA}/CreateObservations",
        json=_batch(987654, [[_now().isoformat(), 1.0]]),
        headers=station["headers"],
    )
    assert response.status_code == 422
    assert response.json()["error"] == "unknown_datastream"
    assert client.get(f"{STA}/Observations", params={"$filter": "secret eq 1"}).status_code == 400
    assert client.get(f"{STA}/Observations", params={"$filter": "result eq"}).status_code == 400
    assert client.get(f"{STA}/Things(987654)").json()["code"] == 404
    unauthenticated = client.post(f"{STA}/Observations", json={})
    assert unauthenticated.status_code == 401
