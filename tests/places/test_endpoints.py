"""The JSON API: /api/v1/places/..."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from vietnam_provinces import Ward as PackageWard
from vietnam_provinces import legacy
from vietnam_provinces._ward_conversion_2025 import OLD_TO_NEW

BEN_THANH = 26743
BEN_NGHE_OLD = 26740
WARDS = "/api/v1/places/wards"


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


@pytest.mark.parametrize("query", ["phuong ben thanh", "Bến Thành", "ben   THANH", "P. Bến Thành"])
def test_search_is_accent_and_space_insensitive(client: TestClient, query: str) -> None:
    response = client.get(WARDS, params={"q": query})
    assert response.status_code == 200
    names = [item["name"] for item in response.json()["items"]]
    assert "Phường Bến Thành" in names


def test_list_pages_and_filters(client: TestClient) -> None:
    page = client.get(WARDS, params={"limit": 200}).json()
    assert page["total"] == 168
    assert len(page["items"]) == 168
    communes = client.get(WARDS, params={"division_type": "xã", "limit": 10, "offset": 50}).json()
    assert communes["total"] == 54
    assert len(communes["items"]) == 4
    assert {item["division_type"] for item in communes["items"]} == {"xã"}
    special = client.get(WARDS, params={"division_type": "đặc khu"}).json()["items"]
    assert [item["name"] for item in special] == ["Đặc khu Côn Đảo"]
    assert client.get(WARDS, params={"q": "khong co phuong nao"}).json()["total"] == 0
    _problem(client.get(WARDS, params={"limit": 0}), 422, "validation_error")
    _problem(client.get(WARDS, params={"offset": 10**30}), 422, "validation_error")
    _problem(client.get(WARDS, params={"division_type": "quận"}), 422, "validation_error")


def test_get_ward_is_a_geojson_feature_with_predecessors(client: TestClient) -> None:
    response = client.get(f"{WARDS}/{BEN_THANH}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    feature = response.json()
    assert feature["type"] == "Feature"
    assert feature["id"] == BEN_THANH
    properties = feature["properties"]
    assert properties["name"] == "Phường Bến Thành"
    assert properties["division_type"] == "phường"
    expected = {
        code
        for code, entry in OLD_TO_NEW.items()
        if any(new.code == BEN_THANH for new in entry.new_wards)
        and entry.old_ward.province_code == 79
    }
    assert {p["code"] for p in properties["predecessors"]} == expected
    if properties["has_boundary"]:
        assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
        assert len(feature["bbox"]) == 4
    else:
        assert feature["geometry"] is None


def test_unknown_ward_code_is_a_404_problem(client: TestClient) -> None:
    body = _problem(client.get(f"{WARDS}/12345"), 404, "ward_not_found")
    assert "12345" in body["detail"]
    _problem(client.get(f"{WARDS}/abc"), 422, "validation_error")
    _problem(client.get(f"{WARDS}/99999999999999999999999"), 422, "validation_error")


def test_locate_ben_thanh_market(client: TestClient, data_dir: Path) -> None:
    response = client.get("/api/v1/places/locate", params={"lon": 106.6981, "lat": 10.7725})
    assert response.status_code == 200, response.text
    assert response.json()["ward"]["name"] == "Phường Bến Thành"


def test_locate_at_sea_is_outside_the_city(client: TestClient, data_dir: Path) -> None:
    # The South China Sea east of Phan Thiết: inside Vietnam's box, in no HCMC ward.
    response = client.get("/api/v1/places/locate", params={"lon": 109.5, "lat": 9.5})
    _problem(response, 404, "outside_city")
    # Hà Nội: in Vietnam, not in the city.
    response = client.get("/api/v1/places/locate", params={"lon": 105.85, "lat": 21.03})
    _problem(response, 404, "outside_city")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lon": 106.7, "lat": 95}, "lat"),
        ({"lon": 2.35, "lat": 48.85}, "lon"),
        ({"lon": "abc", "lat": 10.77}, "lon"),
        ({"lon": "nan", "lat": 10.77}, "lon"),
        ({"lat": 10.77}, "lon"),
    ],
)
def test_locate_rejects_coordinates_outside_vietnam(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    body = _problem(client.get("/api/v1/places/locate", params=params), 422, "validation_error")
    assert field in {error["field"] for error in body["errors"]}


def test_wards_geojson_for_the_city_map(client: TestClient, data_dir: Path) -> None:
    response = client.get("/api/v1/places/wards.geojson", params={"simplify": 30})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 168
    first = collection["features"][0]
    assert set(first["properties"]) == {"code", "name", "division_type"}
    assert first["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    again = client.get(
        "/api/v1/places/wards.geojson",
        params={"simplify": 30},
        headers={"if-none-match": response.headers["etag"]},
    )
    assert again.status_code == 304
    _problem(
        client.get("/api/v1/places/wards.geojson", params={"simplify": -1}), 422, "validation_error"
    )


def _convert(client: TestClient, payload: dict[str, Any]) -> Any:
    return client.post("/api/v1/places/convert-address", json=payload)


def _package_successors(old_code: int) -> set[str]:
    return {
        PackageWard.from_code(new.code).name  # type: ignore[arg-type]
        for new in OLD_TO_NEW[old_code].new_wards
    }


def test_convert_ben_nghe_district_1_to_sai_gon(client: TestClient) -> None:
    response = _convert(client, {"address": "12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {c["name"] for c in body["candidates"]} == _package_successors(BEN_NGHE_OLD)
    assert body["candidates"][0]["name"] == "Phường Sài Gòn"
    assert body["partly"] is False
    assert body["new_address"] == "12 Lê Lợi, Phường Sài Gòn, Thành phố Hồ Chí Minh"
    assert body["street"] == "12 Lê Lợi"
    matched = body["legacy_ward"]
    assert (matched["code"], matched["district_name"]) == (BEN_NGHE_OLD, "Quận 1")
    assert matched["matched_district_text"] == "Quận 1"
    assert matched["matched_province_text"] == "TP. Hồ Chí Minh"


@pytest.mark.parametrize(
    "payload",
    [
        {"address": "Phường Bến Nghé, Quận 1"},
        {"address": "p.ben nghe, q1, tphcm"},
        {"address": "Bến Nghé, Q.1"},
        {"ward": "Bến Nghé", "district": "Quận 1", "province": "TP. HCM"},
    ],
)
def test_convert_accepts_common_spellings(client: TestClient, payload: dict[str, Any]) -> None:
    response = _convert(client, payload)
    assert response.status_code == 200, response.text
    assert response.json()["legacy_ward"]["code"] == BEN_NGHE_OLD
    assert response.json()["new_address"] == "Phường Sài Gòn, Thành phố Hồ Chí Minh"


def test_convert_a_thu_duc_city_address_written_with_the_old_district(client: TestClient) -> None:
    body = _convert(client, {"address": "Phường Thảo Điền, Quận 2, TP.HCM"}).json()
    assert body["legacy_ward"]["district_name"] == "Thành phố Thủ Đức"
    assert body["new_address"] == "Phường An Khánh, Thành phố Hồ Chí Minh"


def test_convert_a_split_ward_lists_every_candidate(client: TestClient) -> None:
    old_code, entry = next(
        (code, entry)
        for code, entry in OLD_TO_NEW.items()
        if entry.old_ward.province_code == 79 and len(entry.new_wards) > 1
    )
    old = legacy.Ward.from_code(old_code)  # type: ignore[arg-type]
    district = legacy.District.from_code(old.district_code)
    response = _convert(client, {"address": f"1 Đường A, {old.name}, {district.name}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {c["code"] for c in body["candidates"]} == {new.code for new in entry.new_wards}
    assert body["partly"] is True
    assert body["new_address"] is None
    assert body["note"]
    assert all(c["new_address"].startswith("1 Đường A, ") for c in body["candidates"])


def test_unknown_old_ward_is_a_422_listing_what_was_tried(client: TestClient) -> None:
    body = _problem(
        _convert(client, {"address": "12 Lê Lợi, Phường Không Tồn Tại, Quận 1"}),
        422,
        "address_not_recognised",
    )
    tried = {(t["text"], t["tried_as"]) for t in body["tried"]}
    assert ("Phường Không Tồn Tại", "ward") in tried


def test_an_ambiguous_old_ward_needs_its_district(client: TestClient) -> None:
    body = _problem(_convert(client, {"address": "Phường 12"}), 422, "address_not_recognised")
    assert len(body["tried"][0]["candidates"]) > 1


@pytest.mark.parametrize(
    "payload",
    [{}, {"address": ""}, {"district": "Quận 1"}, {"address": "x", "ward": "Bến Nghé"}],
)
def test_convert_rejects_malformed_requests(client: TestClient, payload: dict[str, Any]) -> None:
    _problem(_convert(client, payload), 422, "validation_error")


def test_problems_are_translated(client: TestClient) -> None:
    response = client.get(f"{WARDS}/12345", headers={"accept-language": "en"})
    assert response.json()["detail"] == "There is no ward or commune with code 12345."
