"""Boxes in degrees around points, good across a city (equirectangular)."""

from __future__ import annotations

import math

#: The shortest degree of latitude (at the equator) and the degree of longitude there, in
#: metres: with the shortest, a box is never too small to hold its radius.
METRES_PER_DEGREE_LAT = 110_574.0
METRES_PER_DEGREE_LON_EQUATOR = 111_320.0

#: west, south, east, north in degrees.
Box = tuple[float, float, float, float]


def box_around(lon: float, lat: float, radius_m: float) -> Box:
    """The box holding every point within ``radius_m`` of (lon, lat)."""
    dlat = radius_m / METRES_PER_DEGREE_LAT
    # the cosine is floored so a box near a pole stays finite
    dlon = radius_m / (METRES_PER_DEGREE_LON_EQUATOR * max(math.cos(math.radians(lat)), 0.1))
    return (lon - dlon, lat - dlat, lon + dlon, lat + dlat)
