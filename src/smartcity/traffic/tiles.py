"""The ``traffic`` vector-tile layer: segments coloured by congestion (live, else typical)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from smartcity.core.tiles import TileFeature
from smartcity.roads.service import roads as road_service
from smartcity.traffic.live import LEVELS
from smartcity.traffic.service import traffic as traffic_service

SOURCES = ("none", "live", "typical")


class TrafficLayer:
    name = "traffic"
    min_zoom = 10
    max_zoom = 20

    def version(self, session: Session) -> str:
        if road_service.active_version(session) is None:
            return "none"
        return traffic_service.tile_version(session)

    def features(
        self, session: Session, bbox: tuple[float, float, float, float], zoom: int
    ) -> Iterable[TileFeature]:
        if road_service.active_version(session) is None:
            return []
        lines = traffic_service.state(session).index.lines
        return [
            TileFeature(
                lines[segment],
                {"id": segment, "speed": speed, "level": LEVELS[level], "source": SOURCES[source]},
            )
            for segment, speed, level, source in traffic_service.tile_segments(session, bbox, zoom)
        ]
