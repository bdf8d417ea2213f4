"""Flood tables: the SensorThings entities (stations and observations), flood points with
their fused state, reports feeding the fusion, per-segment depths, subscriptions and alerts."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.clock import utcnow
from smartcity.core.db import Base, TimestampMixin


class DatastreamKind(enum.StrEnum):
    """What a datastream measures; decides the unit and the physically possible range."""

    water_depth = "water_depth"  # cm at a flood point
    rainfall = "rainfall"  # mm per interval
    tide_level = "tide_level"  # m above the national datum (Hòn Dấu)
    other = "other"


class PointState(enum.StrEnum):
    dry = "dry"
    pooling = "pooling"  # tụ nước: water present, not (yet) flooded by criterion
    flooded = "flooded"
    receding = "receding"


class DepthSource(enum.StrEnum):
    none = "none"
    sensor = "sensor"
    report = "report"  # citizen reports (fused)
    officer = "officer"  # verified by an officer
    camera = "camera"  # marked by an officer from a flood-watch camera


class Thing(TimestampMixin, Base):
    """A station (STA Thing): water-level sensor, rain gauge or tide gauge."""

    __tablename__ = "flood_things"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    point_id: Mapped[int | None] = mapped_column(
        ForeignKey("flood_points.id", ondelete="SET NULL"), index=True
    )


class Location(TimestampMixin, Base):
    """Where a Thing is (STA Location); one Thing per Location in this subset."""

    __tablename__ = "flood_locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    encoding_type: Mapped[str] = mapped_column(String(80), default="application/geo+json")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    thing_id: Mapped[int | None] = mapped_column(
        ForeignKey("flood_things.id", ondelete="CASCADE"), index=True
    )


class Sensor(TimestampMixin, Base):
    __tablename__ = "flood_sensors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    encoding_type: Mapped[str] = mapped_column(String(80), default="text/plain")
    sensor_metadata: Mapped[str] = mapped_column("metadata", Text, default="")


class ObservedProperty(TimestampMixin, Base):
    __tablename__ = "flood_observed_properties"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")


class Datastream(TimestampMixin, Base):
    __tablename__ = "flood_datastreams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    observation_type: Mapped[str] = mapped_column(
        String(200),
        default="http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
    )
    unit_of_measurement: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    kind: Mapped[DatastreamKind] = mapped_column(
        Enum(DatastreamKind, native_enum=False, length=20), default=DatastreamKind.other
    )
    thing_id: Mapped[int] = mapped_column(ForeignKey("flood_things.id", ondelete="CASCADE"))
    sensor_id: Mapped[int] = mapped_column(ForeignKey("flood_sensors.id"))
    observed_property_id: Mapped[int] = mapped_column(ForeignKey("flood_observed_properties.id"))
    #: The newest observation, kept for the map and for fusion without a scan.
    last_result: Mapped[float | None] = mapped_column(Float)
    last_time: Mapped[datetime | None]


class Observation(Base):
    """One reading; unique per (datastream, phenomenon time), so re-sending is harmless."""

    __tablename__ = "flood_observations"
    __table_args__ = (
        UniqueConstraint("datastream_id", "phenomenon_time"),
        Index("ix_flood_observations_time", "phenomenon_time"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    datastream_id: Mapped[int] = mapped_column(
        ForeignKey("flood_datastreams.id", ondelete="CASCADE")
    )
    phenomenon_time: Mapped[datetime]
    result_time: Mapped[datetime]
    result: Mapped[float] = mapped_column(Float)


class FloodPoint(TimestampMixin, Base):
    """A flood-prone place (hotspot from the city's list) or one first seen in reports."""

    __tablename__ = "flood_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    district_key: Mapped[str] = mapped_column(String(40), default="")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    #: hotspot (imported list) or reported (created from reports).
    origin: Mapped[str] = mapped_column(String(20), default="hotspot")
    geocode_quality: Mapped[str] = mapped_column(String(40), default="")
    #: The location is doubtful (e.g. an unverified geocode): shown, flagged, never routed on.
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(120), default="")
    network_version: Mapped[str] = mapped_column(String(40), default="")
    segments: Mapped[list[int]] = mapped_column(JSON, default=list)
    #: Rain-to-depth response (see forecast.py); calibrated from this point's history.
    response: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    # --- fused state ---
    state: Mapped[PointState] = mapped_column(
        Enum(PointState, native_enum=False, length=12), default=PointState.dry
    )
    depth_cm: Mapped[float] = mapped_column(Float, default=0.0)
    trend_cm_h: Mapped[float] = mapped_column(Float, default=0.0)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    depth_source: Mapped[DepthSource] = mapped_column(
        Enum(DepthSource, native_enum=False, length=12), default=DepthSource.none
    )
    state_since: Mapped[datetime] = mapped_column(default=utcnow)
    wet_since: Mapped[datetime | None]
    observed_at: Mapped[datetime | None]
    published_cm: Mapped[float] = mapped_column(Float, default=0.0)


class FloodReport(Base):
    """A depth estimate at a place: citizen report, officer verification or camera mark."""

    __tablename__ = "flood_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(
        ForeignKey("flood_points.id", ondelete="CASCADE"), index=True
    )
    external_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    source: Mapped[DepthSource] = mapped_column(Enum(DepthSource, native_enum=False, length=12))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    depth_cm: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    photo_sha256: Mapped[str | None] = mapped_column(String(64))
    observed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SegmentDepth(Base):
    """The depth last published for a segment of a network (0 rows = dry)."""

    __tablename__ = "flood_segment_depths"

    network_version: Mapped[str] = mapped_column(String(40), primary_key=True)
    segment: Mapped[int] = mapped_column(Integer, primary_key=True)
    forecast: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    depth_cm: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Subscription(TimestampMixin, Base):
    """A place (point + radius) or a route (segments) someone wants flood alerts for."""

    __tablename__ = "flood_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(80), index=True)
    label: Mapped[str] = mapped_column(String(200))
    network_version: Mapped[str] = mapped_column(String(40))
    segments: Mapped[list[int]] = mapped_column(JSON)


class Alert(Base):
    """An alert raised for a subscription, or city-wide (tide levels) when it has none."""

    __tablename__ = "flood_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("flood_subscriptions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # flood | forecast | tide
    level: Mapped[int] = mapped_column(Integer, default=0)
    depth_cm: Mapped[float] = mapped_column(Float, default=0.0)
    segments: Mapped[list[int]] = mapped_column(JSON, default=list)
    #: A Vietnamese msgid and its placeholders (translated when shown).
    message: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
