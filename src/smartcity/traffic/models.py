"""Traffic tables: published live speeds, typical profiles learnt from history, cameras and
their snapshots, incidents and the citizen traffic reports received from the reports module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.clock import utcnow
from smartcity.core.db import Base, TimestampMixin


class SegmentSpeed(Base):
    """The last published live speed of a segment (rebuilds live state after a restart)."""

    __tablename__ = "traffic_segment_speeds"

    network_version: Mapped[str] = mapped_column(String(40), primary_key=True)
    segment: Mapped[int] = mapped_column(Integer, primary_key=True)
    speed_kmh: Mapped[float] = mapped_column(Float)
    samples: Mapped[int] = mapped_column(Integer, default=0)
    observed_at: Mapped[datetime]


class HistorySegment(Base):
    """A road segment of the traffic history and what was learnt about it: its free-flow
    speed and how congested it runs compared with the city-wide profile (``scale``
    multiplies the city ratio).  Independent of any road network: its OSM end nodes and
    middle join it to the active network when traffic loads that network."""

    __tablename__ = "traffic_history_segments"

    source_segment_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    start_osm_node: Mapped[int] = mapped_column(BigInteger)
    end_osm_node: Mapped[int] = mapped_column(BigInteger)
    mid_lon: Mapped[float] = mapped_column(Float)
    mid_lat: Mapped[float] = mapped_column(Float)
    free_flow_kmh: Mapped[float] = mapped_column(Float)
    scale: Mapped[float] = mapped_column(Float, default=1.0)
    samples: Mapped[int] = mapped_column(Integer, default=0)


class CityProfile(Base):
    """City-wide typical speed / free-flow ratio by weekday (0 = Monday) and half-hour slot."""

    __tablename__ = "traffic_city_profile"

    weekday: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    ratio: Mapped[float] = mapped_column(Float)
    samples: Mapped[int] = mapped_column(Integer, default=0)


class ForecastModel(Base):
    """The forecast fitted per horizon (minutes): the weight that pulls the live speed
    towards the typical profile (0 = the live speed stands), and its evaluation."""

    __tablename__ = "traffic_forecast_models"

    horizon_min: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    typical_weight: Mapped[float] = mapped_column(Float)
    fitted_on: Mapped[str] = mapped_column(String(80))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Camera(TimestampMixin, Base):
    __tablename__ = "traffic_cameras"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    source_id: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(80), default="")
    management_unit: Mapped[str] = mapped_column(String(200), default="")
    camera_type: Mapped[str] = mapped_column(String(20), default="")
    angle: Mapped[int | None] = mapped_column(Integer)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    online: Mapped[bool] = mapped_column(default=True)
    offline_reason: Mapped[str] = mapped_column(String(300), default="")


class CameraSnapshot(Base):
    __tablename__ = "traffic_camera_snapshots"
    __table_args__ = (Index("ix_traffic_camera_snapshots_camera_taken", "camera_id", "taken_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("traffic_cameras.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrafficReport(Base):
    """A citizen traffic report as announced by ``report.created`` (kept for the Reports tab)."""

    __tablename__ = "traffic_reports"

    report_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(40))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    ward_code: Mapped[int | None]
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Incident(TimestampMixin, Base):
    __tablename__ = "traffic_incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    source: Mapped[str] = mapped_column(String(20))  # officer | report | detector
    network_version: Mapped[str] = mapped_column(String(40))
    segments: Mapped[list[int]] = mapped_column(JSON, default=list)
    closed: Mapped[bool] = mapped_column(default=False)
    delay_s: Mapped[int] = mapped_column(Integer, default=0)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text, default="")
    report_id: Mapped[str | None] = mapped_column(String(64))


class TrafficAlert(TimestampMixin, Base):
    """Something a road user should know about now: a jam the detector found on live speeds,
    an incident or closure posted by officers (or a verified citizen report), flooding."""

    __tablename__ = "traffic_alerts"
    __table_args__ = (Index("ix_traffic_alerts_status_bbox", "status", "min_lon", "min_lat"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # jam | incident | closure | flood
    severity: Mapped[str] = mapped_column(String(20))  # heavy | standstill | closed | info
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | cleared
    network_version: Mapped[str] = mapped_column(String(40))
    segments: Mapped[list[int]] = mapped_column(JSON, default=list)
    length_m: Mapped[float] = mapped_column(Float, default=0.0)
    speed_kmh: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    road_name: Mapped[str] = mapped_column(String(200), default="")
    incident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    cleared_at: Mapped[datetime | None]


class AlertSubscription(TimestampMixin, Base):
    """A saved place or route whose alerts a user (or an anonymous browser) wants pushed,
    within optional weekly time windows."""

    __tablename__ = "traffic_alert_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    owner_token_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))  # place | route
    network_version: Mapped[str] = mapped_column(String(40))
    segments: Mapped[list[int]] = mapped_column(JSON, default=list)
    coordinates: Mapped[list[list[float]]] = mapped_column(JSON, default=list)
    radius_m: Mapped[float] = mapped_column(Float, default=0.0)
    windows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # the box an alert must overlap to hit this place (its coordinates grown by its reach),
    # so an alert looks only at the saved places near it
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float, index=True)


class PushSubscription(TimestampMixin, Base):
    """A browser that opted in to Web Push: its push service endpoint (RFC 8030) and the
    keys to encrypt for it (RFC 8291); owned like saved places (a user, else a token)."""

    __tablename__ = "traffic_push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    owner_token_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    endpoint: Mapped[str] = mapped_column(String(2048), unique=True)
    p256dh: Mapped[str] = mapped_column(String(100))
    auth: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(5), default="vi")
    last_sent_at: Mapped[datetime | None]


class PushDelivery(Base):
    """One alert announced to one subscribed browser; written in the transaction that found
    the alert hits the owner's places, sent afterwards by the push worker (retried)."""

    __tablename__ = "traffic_push_deliveries"
    __table_args__ = (
        UniqueConstraint(
            "subscription_id", "alert_id", "alert_status", name="uq_traffic_push_deliveries_once"
        ),
        Index("ix_traffic_push_deliveries_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey(
            "traffic_push_subscriptions.id",
            ondelete="CASCADE",
            name="fk_traffic_push_deliveries_subscription",  # the default name is too long
        ),
        index=True,
    )
    alert_id: Mapped[int] = mapped_column(
        ForeignKey("traffic_alerts.id", ondelete="CASCADE", name="fk_traffic_push_deliveries_alert")
    )
    alert_status: Mapped[str] = mapped_column(String(10))  # active | cleared
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: When the worker may (re)try; while a worker sends, a lease in the future.
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
