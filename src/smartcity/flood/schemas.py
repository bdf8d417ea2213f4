"""Flood API schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from smartcity.core.schemas import Latitude, Longitude, Schema


class PointCollection(BaseModel):
    type: str = "FeatureCollection"
    features: list[dict[str, Any]]
    network_version: str | None = None


class ReportOut(Schema):
    id: int
    point_id: int
    source: str
    verified: bool
    depth_cm: float
    lon: float
    lat: float
    photo_sha256: str | None
    observed_at: datetime


class TidePoint(BaseModel):
    time: datetime
    level_m: float


class TideOut(BaseModel):
    station: str = "Phú An"
    model: str = Field(description="Where the prediction comes from (fit or approximate set)")
    approximate: bool
    alert_levels_m: list[float]
    now_m: float
    now_alert: int = Field(description="0 = below BĐ I, 1–3 = BĐ I–III")
    curve: list[TidePoint]


class SeriesOut(BaseModel):
    thing_id: int
    name: str
    datastreams: list[dict[str, Any]]


class ForecastRow(BaseModel):
    point_id: int
    name: str
    depth_now_cm: float
    depth_cm: dict[str, float] = Field(description="Lead time ('1h','3h','6h') → depth")
    risk: dict[str, str]


class ForecastOut(BaseModel):
    issued_at: datetime
    assumptions: list[str]
    points: list[ForecastRow]


class SubscriptionIn(BaseModel):
    label: str = Field(min_length=1, max_length=200)
    segments: list[int] | None = Field(None, max_length=5000)
    line: list[tuple[Longitude, Latitude]] | None = Field(None, max_length=5000)
    lon: Longitude | None = None
    lat: Latitude | None = None
    radius_m: float = Field(300.0, gt=0, le=5000)

    @model_validator(mode="after")
    def _something(self) -> SubscriptionIn:
        if not self.segments and not self.line and (self.lon is None or self.lat is None):
            raise ValueError("give segments, a line, or lon+lat")
        return self


class SubscriptionOut(Schema):
    id: int
    label: str
    network_version: str
    segments: list[int]


class AlertOut(BaseModel):
    id: int
    subscription_id: int | None
    kind: str
    level: int
    depth_cm: float
    segments: list[int]
    message: str
    created_at: datetime
