"""The ``wards`` vector-tile layer: ward and commune boundaries with their names."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from smartcity.core.tiles import TileFeature
from smartcity.places.service import places as places_service


class WardsLayer:
    name = "wards"
    min_zoom = 6
    max_zoom = 20

    def version(self, session: Session) -> str:
        return places_service.boundaries_version(session)

    def features(
        self, session: Session, bbox: tuple[float, float, float, float], zoom: int
    ) -> Iterable[TileFeature]:
        found = places_service.boundaries_in_bbox(session, bbox)
        names = places_service.ward_names(session, {code for code, _ in found})
        return [
            TileFeature(boundary, {"code": code, "name": names.get(code, "")})
            for code, boundary in found
        ]
