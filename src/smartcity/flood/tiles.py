"""The ``flood`` vector-tile layer: flooded segments (depth per segment) and flood points."""

from __future__ import annotations

from collections.abc import Iterable

import shapely
from sqlalchemy.orm import Session

from smartcity.core.clock import utcnow
from smartcity.core.tiles import TileFeature
from smartcity.flood.service import flood as flood_service


class FloodLayer:
    name = "flood"
    min_zoom = 10
    max_zoom = 20

    def version(self, session: Session) -> str:
        from smartcity.flood.tasks import live_version

        return f"v{live_version()}"

    def features(
        self, session: Session, bbox: tuple[float, float, float, float], zoom: int
    ) -> Iterable[TileFeature]:
        from smartcity.roads.errors import NoRoadNetwork
        from smartcity.roads.service import roads as road_service

        box = shapely.box(*bbox)
        out: list[TileFeature] = []
        try:
            index = road_service.index(session)
        except NoRoadNetwork:
            index = None
        version, depths = flood_service.live_depths(session)
        if index is not None and version == index.version:
            for segment, depth in depths.items():
                line = index.lines[segment]
                if line.intersects(box):
                    out.append(
                        TileFeature(
                            line, {"kind": "segment", "segment": segment, "depth_cm": depth}
                        )
                    )
        for feature in flood_service.points_geojson(session, now=utcnow())["features"]:
            lon, lat = feature["geometry"]["coordinates"]
            point = shapely.Point(lon, lat)
            if point.intersects(box):
                props = feature["properties"]
                out.append(
                    TileFeature(
                        point,
                        {
                            "kind": "point",
                            "id": props["id"],
                            "name": props["name"],
                            "state": props["state"],
                            "depth_cm": props["depth_cm"],
                            "source": props["source"],
                        },
                    )
                )
        return out
