"""Vector tiles: tile maths, encoding, the layer registry and bad coordinates."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi.testclient import TestClient
from shapely.geometry import LineString
from sqlalchemy.orm import Session

from smartcity.core import tiles
from smartcity.core.db import Database


class _LineLayer:
    """A one-feature layer: a street across central HCMC."""

    name = "test-line"
    min_zoom = 10
    max_zoom = 18

    def version(self, session: Session) -> str:
        return "v1"

    def features(
        self, session: Session, bbox: tuple[float, float, float, float], zoom: int
    ) -> Iterable[tiles.TileFeature]:
        line = LineString([(106.690, 10.770), (106.710, 10.780)])
        if line.intersects(LineString([(bbox[0], bbox[1]), (bbox[2], bbox[3])]).envelope):
            yield tiles.TileFeature(line, {"name": "Đường Thử", "class": "primary"})


def test_tile_of_a_point_contains_it() -> None:
    x, y = tiles.lonlat_to_tile(106.7, 10.775, 14)
    west, south, east, north = tiles.tile_bounds(14, x, y)
    assert west <= 106.7 <= east
    assert south <= 10.775 <= north


def test_layer_tile_is_encoded_and_decodes_back(client: TestClient) -> None:
    tiles.register_layer(_LineLayer())
    x, y = tiles.lonlat_to_tile(106.70, 10.775, 14)
    response = client.get(f"/tiles/test-line/14/{x}/{y}.mvt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    decoded = tiles.decode(response.content)
    feature = decoded["test-line"]["features"][0]
    assert feature["properties"] == {"name": "Đường Thử", "class": "primary"}
    assert feature["geometry"]["type"] == "LineString"
    again = client.get(
        f"/tiles/test-line/14/{x}/{y}.mvt", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


def test_empty_tile_outside_the_data(client: TestClient) -> None:
    tiles.register_layer(_LineLayer())
    response = client.get("/tiles/test-line/14/0/0.mvt")
    assert response.status_code == 200
    assert response.content == b""


def test_out_of_range_tile_coordinates_are_404_or_422(client: TestClient) -> None:
    tiles.register_layer(_LineLayer())
    assert client.get("/tiles/test-line/3/8/0.mvt").status_code == 404
    assert client.get("/tiles/test-line/25/0/0.mvt").status_code == 422
    assert client.get("/tiles/test-line/3/-1/0.mvt").status_code == 422
    assert client.get("/tiles/no-such-layer/3/1/1.mvt").json()["code"] == "not_found"


class _CountingLayer(_LineLayer):
    name = "test-counting"

    def __init__(self) -> None:
        self.asked = 0

    def features(
        self, session: Session, bbox: tuple[float, float, float, float], zoom: int
    ) -> Iterable[tiles.TileFeature]:
        self.asked += 1
        return super().features(session, bbox, zoom)


def test_warming_renders_the_city_view_once_and_requests_then_hit_the_cache(
    client: TestClient, database: Database
) -> None:
    layer = _CountingLayer()
    tiles.register_layer(layer)
    view = (106.58, 10.68, 106.82, 10.88)
    with database.session() as session:
        rendered = tiles.warm(session, [layer.name, "no-such-layer"], view, [11, 12])
        assert rendered == layer.asked > 0
        assert tiles.warm(session, [layer.name], view, [11, 12]) == 0  # all cached now
    x, y = tiles.lonlat_to_tile(106.70, 10.775, 12)
    response = client.get(f"/tiles/{layer.name}/12/{x}/{y}.mvt")
    assert response.status_code == 200
    assert layer.asked == rendered  # served from the cache the warming filled
