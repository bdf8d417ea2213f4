"""Boxes in degrees around points and lines, good across a city (equirectangular)."""

from __future__ import annotations

import math
from collections.abc import Sequence

#: Metres per degree of latitude (and of longitude at the equator).
METRES_PER_DEGREE = 111_320.0

#: west, south, east, north in degrees.
Box = tuple[float, float, float, float]


def _degrees_of_longitude(metres: float, lat: float) -> float:
    # the cosine is floored so a box near a pole stays finite
    return metres / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.1))


def box_around(lon: float, lat: float, radius_m: float) -> Box:
    """The box holding every point within ``radius_m`` of (lon, lat)."""
    dlat = radius_m / METRES_PER_DEGREE
    dlon = _degrees_of_longitude(radius_m, lat)
    return (lon - dlon, lat - dlat, lon + dlon, lat + dlat)


def box_of(coordinates: Sequence[Sequence[float]], *, grown_by_m: float = 0.0) -> Box:
    """The box of [lon, lat] pairs, grown on every side by ``grown_by_m``."""
    lons = [float(c[0]) for c in coordinates]
    lats = [float(c[1]) for c in coordinates]
    dlat = grown_by_m / METRES_PER_DEGREE
    widest = max(abs(min(lats)), abs(max(lats)))  # longitude degrees are shortest there
    dlon = _degrees_of_longitude(grown_by_m, widest)
    return (min(lons) - dlon, min(lats) - dlat, max(lons) + dlon, max(lats) + dlat)
