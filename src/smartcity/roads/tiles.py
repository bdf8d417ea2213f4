"""The ``roads`` vector-tile layer: segments by class, major roads first when zoomed out."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from smartcity.core.tiles import TileFeature
from smartcity.roads.errors import NoRoadNetwork
from smartcity.roads.service import roads as road_service


class RoadsLayer:
    name = "roads"
    min_zoom = 8
    max_zoom = 20

    def version(self, session: Session) -> str:
        return road_service.active_version(session) or "none"

    def features(
        self, session: Session, bbox: tuple[float, float, float, float], zoom: int
    ) -> Iterable[TileFeature]:
        try:
            index = road_service.index(session)
        except NoRoadNetwork:
            return []
        return [
            TileFeature(index.lines[i], index.segment_properties(int(i)))
            for i in index.segments_in_bbox(bbox, zoom)
        ]
