"""Open311 GeoReport v2 answered to the `georeport` client (JSON and XML) over HTTP, and to
the spec's own example documents (field names and shapes of GeoReport_v2/index.md)."""

# The XML parsed here is our own server's answer, not untrusted input.
# ruff: noqa: S314
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

import httpx
import pytest
from georeport import GeoReport

from smartcity.accounts.schemas import ApiKeyCreate
from smartcity.accounts.service import accounts
from smartcity.core.db import Database

from .conftest import BEN_THANH

#: Keys of a service request in the spec's GET requests example.
SPEC_REQUEST_KEYS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
SPEC_SERVICE_KEYS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}


@pytest.fixture
def api_key(database: Database) -> Callable[[list[str]], str]:
    def make(scopes: list[str]) -> str:
        with database.session() as session:
            created = accounts.create_api_key(
                session, data=ApiKeyCreate(name="open311 test", scopes=scopes), creator=None
            )
            return created.key

    return make


@pytest.fixture
def posted(live_server: str, wards: dict[str, int], api_key: Callable[[list[str]], str]) -> str:
    """A request created through POST /requests.json with an API key, as an app would."""
    from smartcity.reports.limits import create_limit

    create_limit.reset()
    response = httpx.post(
        f"{live_server}/open311/v2/requests.json",
        data={
            "api_key": api_key(["reports:submit"]),
            "service_code": "flooding",
            "lat": str(BEN_THANH[1]),
            "long": str(BEN_THANH[0]),
            "description": "Ngập sau mưa lớn",
            "email": "an@example.vn",
            "attribute[water_depth_level]": "ankle",
        },
    )
    assert response.status_code == 200, response.text
    [created] = response.json()
    assert set(created) >= {"service_request_id", "service_notice", "account_id"}
    return str(created["service_request_id"])


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_reads_services_and_requests(
    live_server: str, posted: str, fmt: str
) -> None:
    client = GeoReport(f"{live_server}/open311/v2", output_format=fmt)
    services = client.get_service_list()
    codes = [s["service_code"] for s in services]
    assert {"roads", "flooding", "traffic", "noise"} <= set(codes)
    assert set(services[0]) == SPEC_SERVICE_KEYS
    definition = client.get_service_definition("flooding")
    assert definition["service_code"] == "flooding"
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = attributes["attribute"]
    assert {a["code"] for a in attributes} == {"water_depth_cm", "water_depth_level"}
    request = client.get_service_request(posted)
    if fmt == "xml" and isinstance(request, list):
        request = request[0]
    assert request["service_request_id"] == posted
    assert request["status"] == "open"
    assert request["service_code"] == "flooding"
    assert request["agency_responsible"] == "CTTN"
    assert set(request) == SPEC_REQUEST_KEYS
    assert float(request["lat"]) == pytest.approx(BEN_THANH[1])
    assert request["requested_datetime"].endswith("+07:00")
    found = client.get_service_requests(service_code="flooding", status="open")
    if isinstance(found, dict):  # xmltodict gives a dict for a single element
        found = [found]
    assert posted in [r["service_request_id"] for r in found]
    # An empty answer is a valid empty <service_requests/>, which this client cannot parse
    # (it indexes ['request'] of None); read it directly.
    closed = httpx.get(
        f"{client.root_address}/requests.{fmt}",
        params={"service_request_id": posted, "status": "closed"},
    )
    assert closed.status_code == 200
    if fmt == "json":
        assert closed.json() == []
    else:
        assert ET.fromstring(closed.content).tag == "service_requests"
        assert len(ET.fromstring(closed.content)) == 0


def test_discovery_tokens_radius_and_errors_in_spec_format(live_server: str, posted: str) -> None:
    base = f"{live_server}/open311/v2"
    discovery = httpx.get(f"{base}/discovery.json").json()
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert "application/json" in discovery["endpoints"][0]["formats"]
    xml = ET.fromstring(httpx.get(f"{base}/discovery.xml").content)
    assert xml.tag == "discovery"
    assert xml.find("endpoints/endpoint/formats/format") is not None
    token = httpx.get(f"{base}/tokens/r{posted}.json").json()
    assert token == [{"service_request_id": posted, "token": f"r{posted}"}]
    near = httpx.get(
        f"{base}/requests.json", params={"lat": BEN_THANH[1], "long": BEN_THANH[0], "radius": 100}
    ).json()
    assert posted in [r["service_request_id"] for r in near]
    far = httpx.get(
        f"{base}/requests.json", params={"lat": 10.95, "long": 106.5, "radius": 100}
    ).json()
    assert posted not in [r["service_request_id"] for r in far]
    # Errors: the spec's list of {code, description}, in JSON and XML.
    missing = httpx.get(f"{base}/requests/999999999.json")
    assert missing.status_code == 404
    assert missing.json()[0]["code"] == 404
    assert missing.json()[0]["description"]
    bad_xml = httpx.get(f"{base}/services/nope.xml")
    assert bad_xml.status_code == 422
    root = ET.fromstring(bad_xml.content)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "422"
    no_key = httpx.post(
        f"{base}/requests.json",
        data={
            "service_code": "roads",
            "lat": BEN_THANH[1],
            "long": BEN_THANH[0],
            "description": "x",
        },
    )
    assert no_key.status_code == 403
    assert no_key.json()[0]["code"] == 403
    too_long = httpx.get(
        f"{base}/requests.json",
        params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
    )
    assert too_long.status_code == 400


def test_post_rejects_wrong_scope_and_bad_input(
    live_server: str, wards: dict[str, int], api_key: Callable[[list[str]], str]
) -> None:
    base = f"{live_server}/open311/v2"
    wrong_scope = httpx.post(
        f"{base}/requests.xml",
        data={
            "api_key": api_key(["traffic:ingest"]),
            "service_code": "roads",
            "lat": BEN_THANH[1],
            "long": BEN_THANH[0],
            "description": "x",
        },
    )
    assert wrong_scope.status_code == 403
    assert ET.fromstring(wrong_scope.content).tag == "errors"
    key = api_key(["reports:submit"])
    empty = httpx.post(
        f"{base}/requests.json",
        data={
            "api_key": key,
            "service_code": "roads",
            "lat": BEN_THANH[1],
            "long": BEN_THANH[0],
            "description": " ",
        },
    )
    assert empty.status_code == 400
    assert "description" in empty.json()[0]["description"]
    outside = httpx.post(
        f"{base}/requests.json",
        data={
            "api_key": key,
            "service_code": "roads",
            "lat": 21.0,
            "long": 105.8,
            "description": "Hà Nội",
        },
    )
    assert outside.status_code == 422
