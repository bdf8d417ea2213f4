"""Road network tables: one row per imported network, its segments and named streets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.clock import utcnow
from smartcity.core.db import Base


class RoadNetwork(Base):
    """An imported network; exactly one is active (the one routes and maps use)."""

    __tablename__ = "road_networks"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    source_name: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64))
    synthetic: Mapped[bool] = mapped_column(default=False)
    artefact_dir: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=False, index=True)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoadSegment(Base):
    """A piece of an OSM way between two junctions (``idx`` = index in the graph artefact)."""

    __tablename__ = "road_segments"
    __table_args__ = (
        Index("ix_road_segments_network_idx", "network_id", "idx", unique=True),
        Index("ix_road_segments_network_way", "network_id", "osm_way_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("road_networks.id", ondelete="CASCADE"))
    idx: Mapped[int] = mapped_column(Integer)
    osm_way_id: Mapped[int]
    name: Mapped[str] = mapped_column(String(200), default="")
    ref: Mapped[str] = mapped_column(String(50), default="")
    road_class: Mapped[str] = mapped_column(String(20))
    length_m: Mapped[float] = mapped_column(Float)
    maxspeed_kmh: Mapped[float] = mapped_column(Float)
    lanes: Mapped[int] = mapped_column(default=0)
    oneway: Mapped[bool] = mapped_column(default=False)
    bridge: Mapped[bool] = mapped_column(default=False)
    tunnel: Mapped[bool] = mapped_column(default=False)
    car: Mapped[bool] = mapped_column(default=True)
    motorbike: Mapped[bool] = mapped_column(default=True)
    ward_code: Mapped[int | None] = mapped_column(index=True)
    mid_lon: Mapped[float] = mapped_column(Float)
    mid_lat: Mapped[float] = mapped_column(Float)
    #: The exact geometry as a GeoJSON coordinate list ``[[lon, lat], ...]``.
    coordinates: Mapped[list[list[float]]] = mapped_column(JSON)


class Street(Base):
    """A named street within one ward: what people search for and geocode to."""

    __tablename__ = "road_streets"
    __table_args__ = (Index("ix_road_streets_network_key", "network_id", "search_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("road_networks.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    search_key: Mapped[str] = mapped_column(String(200))
    ward_code: Mapped[int | None]
    road_class: Mapped[str] = mapped_column(String(20))
    segment_count: Mapped[int]
    length_m: Mapped[float] = mapped_column(Float)
    #: A point on the street (the middle of its longest segment in this ward).
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
