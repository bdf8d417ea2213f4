"""API shapes of the roads module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ATTRIBUTION = "© OpenStreetMap contributors"


class NetworkInfo(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: str
    source_name: str
    source_sha256: str
    synthetic: bool = Field(description="True for the generated demo city, not real streets.")
    created_at: datetime
    stats: dict[str, Any]
    attribution: str = ATTRIBUTION


class WardRef(BaseModel):
    code: int
    name: str


class StreetHit(BaseModel):
    name: str
    ward: WardRef | None
    road_class: str
    segment_count: int
    length_m: float
    lon: float
    lat: float
    bbox: list[float] = Field(description="[min_lon, min_lat, max_lon, max_lat]")


class StreetPage(BaseModel):
    items: list[StreetHit]
    query: str
    attribution: str = ATTRIBUTION


class GeocodeMatch(BaseModel):
    house_number: str | None = None
    street: str | None = None
    ward: WardRef | None = None


class GeocodeResult(BaseModel):
    query: str
    lon: float
    lat: float
    confidence: float = Field(ge=0, le=1)
    matched: GeocodeMatch
    unmatched: list[str] = Field(description="Parts of the query that were not used.")
    notes: list[str]
    attribution: str = ATTRIBUTION


class ReverseGeocodeResult(BaseModel):
    lon: float
    lat: float
    street: str | None
    road_class: str | None
    distance_m: float | None
    ward: WardRef | None
    segment_id: int | None
    attribution: str = ATTRIBUTION
