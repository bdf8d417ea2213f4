"""Mapbox Vector Tiles (MVT 2.1) for map layers, with a registry modules plug into.

A module registers a :class:`TileLayer` (roads, wards, later live speeds and flooded
points); ``/tiles/{layer}/{z}/{x}/{y}.mvt`` encodes whatever the layer returns for the
tile, clipped and simplified for the zoom.  Tiles are cached per layer *version*, so a
layer that changes (new speeds) bumps its version and old tiles fall out of the cache.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import mapbox_vector_tile
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

EXTENT = 4096
#: Features are clipped to the tile plus this margin (in tile units) so strokes join up.
BUFFER = 64
MAX_ZOOM = 20
_EARTH_RADIUS = 6378137.0
_ORIGIN_SHIFT = math.pi * _EARTH_RADIUS
#: Web Mercator cannot show the poles.
MAX_LATITUDE = 85.05112878


@dataclass(frozen=True)
class TileFeature:
    geometry: BaseGeometry  # lon/lat
    properties: dict[str, Any] = field(default_factory=dict)


class TileLayer(Protocol):
    name: str
    min_zoom: int
    max_zoom: int

    def version(self, session: Session) -> str:
        """Changes whenever the layer's content changes (cache key)."""
        ...

    def features(
        self, session: Session, bbox: tuple[float, float, float, float], zoom: int
    ) -> Iterable[TileFeature]:
        """Features intersecting ``bbox`` (lon/lat, with margin) worth drawing at ``zoom``."""
        ...


_layers: dict[str, TileLayer] = {}


def register_layer(layer: TileLayer) -> None:
    _layers[layer.name] = layer


def registered_layers() -> dict[str, TileLayer]:
    return dict(_layers)


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a tile in degrees."""
    n = 2.0**z
    west = x / n * 360.0 - 180.0
    east = (x + 1) / n * 360.0 - 180.0
    north = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    south = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 1) / n))))
    return west, south, east, north


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def _mercator(coords: np.ndarray) -> np.ndarray:
    lon = coords[:, 0]
    lat = np.clip(coords[:, 1], -MAX_LATITUDE, MAX_LATITUDE)
    x = lon * _ORIGIN_SHIFT / 180.0
    y = np.log(np.tan((90.0 + lat) * math.pi / 360.0)) * _EARTH_RADIUS
    return np.column_stack((x, y))


def _to_tile_space(geometry: BaseGeometry, z: int, x: int, y: int) -> BaseGeometry:
    """Lon/lat → integer-ish tile coordinates (0..EXTENT, y down)."""
    size = 2 * _ORIGIN_SHIFT / 2**z
    left = -_ORIGIN_SHIFT + x * size
    top = _ORIGIN_SHIFT - y * size

    def transform(coords: np.ndarray) -> np.ndarray:
        merc = _mercator(coords)
        return np.column_stack(
            ((merc[:, 0] - left) / size * EXTENT, (top - merc[:, 1]) / size * EXTENT)
        )

    return shapely.transform(geometry, transform)


def encode_tile(layer_name: str, features: Iterable[TileFeature], z: int, x: int, y: int) -> bytes:
    items = list(features)
    if not items:
        return b""
    geometries = np.array([_to_tile_space(f.geometry, z, x, y) for f in items], dtype=object)
    # Simplify in tile units: half a pixel of a 256-px tile hides nothing.
    geometries = shapely.simplify(geometries, EXTENT / 512, preserve_topology=False)
    geometries = shapely.clip_by_rect(
        geometries, -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER
    )
    encoded: list[dict[str, Any]] = []
    for geometry, feature in zip(geometries, items, strict=True):
        if geometry is None or geometry.is_empty:
            continue
        encoded.append({"geometry": geometry, "properties": feature.properties})
    if not encoded:
        return b""
    data: bytes = mapbox_vector_tile.encode(
        [{"name": layer_name, "features": encoded}],
        default_options={"y_coord_down": True, "extents": EXTENT},
    )
    return data


class TileCache:
    """A small LRU of encoded tiles keyed by (layer, version, z, x, y)."""

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._items: OrderedDict[tuple[str, str, int, int, int], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, int, int, int]) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple[str, str, int, int, int], value: bytes) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)


cache = TileCache()


def render(session: Session, layer: TileLayer, z: int, x: int, y: int) -> tuple[bytes, str]:
    """The encoded tile and its ETag."""
    version = layer.version(session)
    key = (layer.name, version, z, x, y)
    etag = f'"{layer.name}-{version}-{z}-{x}-{y}"'
    cached = cache.get(key)
    if cached is not None:
        return cached, etag
    if z < layer.min_zoom or z > layer.max_zoom:
        data = b""
    else:
        west, south, east, north = tile_bounds(z, x, y)
        margin_x = (east - west) * BUFFER / EXTENT
        margin_y = (north - south) * BUFFER / EXTENT
        bbox = (west - margin_x, south - margin_y, east + margin_x, north + margin_y)
        data = encode_tile(layer.name, layer.features(session, bbox, z), z, x, y)
    cache.put(key, data)
    return data, etag


def warm(
    session: Session,
    layer_names: Iterable[str],
    bbox: tuple[float, float, float, float],
    zooms: Iterable[int],
) -> int:
    """Render the tiles of ``bbox`` at ``zooms`` that are not cached yet (the first visitor
    after a start or a new network version then gets them at cached speed); returns how
    many were rendered."""
    west, south, east, north = bbox
    rendered = 0
    for name in layer_names:
        layer = _layers.get(name)
        if layer is None:
            continue
        version = layer.version(session)
        for z in zooms:
            x0, y0 = lonlat_to_tile(west, north, z)
            x1, y1 = lonlat_to_tile(east, south, z)
            for x in range(x0, x1 + 1):
                for y in range(y0, y1 + 1):
                    if cache.get((name, version, z, x, y)) is None:
                        render(session, layer, z, x, y)
                        rendered += 1
    return rendered


def decode(data: bytes) -> dict[str, Any]:
    """Decode a tile (tests and debugging)."""
    result: dict[str, Any] = mapbox_vector_tile.decode(data)
    return result


__all__: Sequence[str] = [
    "TileFeature",
    "TileLayer",
    "decode",
    "encode_tile",
    "lonlat_to_tile",
    "register_layer",
    "render",
    "tile_bounds",
    "warm",
]
