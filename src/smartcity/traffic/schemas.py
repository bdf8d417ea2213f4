"""Request and response shapes of the traffic API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from smartcity.core.schemas import Latitude, Longitude

VehicleId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
RejectReason = Literal[
    "future", "stale", "outside_area", "duplicate", "out_of_order", "teleport", "off_road"
]


class ProbePoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vehicle_id: VehicleId = Field(description="Pseudonymous, stable per vehicle (no plate).")
    time: AwareDatetime = Field(description="When the fix was taken (with a time zone).")
    lon: float = Field(allow_inf_nan=False, description="WGS84 longitude.")
    lat: float = Field(allow_inf_nan=False, description="WGS84 latitude.")
    speed_kmh: float | None = Field(None, ge=0, le=400, allow_inf_nan=False)
    heading: float | None = Field(None, ge=0, le=360, allow_inf_nan=False)


class ProbeBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fleet: str = Field("", max_length=40, description="bus, taxi, ride-hailing … (free text).")
    points: list[ProbePoint] = Field(min_length=1, max_length=20000)


class ProbeIngestResult(BaseModel):
    received: int
    accepted: int
    matched: int = Field(description="Accepted points placed on a road segment.")
    rejected: dict[str, int] = Field(description="Count per reason (future, stale, …).")
    segments_updated: int


class SegmentTraffic(BaseModel):
    segment: int
    network_version: str
    name: str
    speed_kmh: float | None
    free_flow_kmh: float
    level: Literal["free", "slow", "heavy", "standstill"] | None
    los: Literal["A", "B", "C", "D", "E", "F"] | None
    source: Literal["live", "typical", "none"]
    observed_at: datetime | None
    forecast: dict[str, float | None] = Field(
        default_factory=dict, description="Speed (km/h) forecast 30 and 60 minutes ahead."
    )


class CameraOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    district: str
    lon: float
    lat: float
    online: bool
    offline_reason: str
    snapshot_url: str | None = None
    snapshot_at: datetime | None = None


class CameraStatus(BaseModel):
    model_config = ConfigDict(extra="forbid")

    online: bool
    reason: str = Field("", max_length=300)


class IncidentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["accident", "closure", "roadworks", "broken_signal", "obstruction", "event"]
    lon: Longitude
    lat: Latitude
    closed: bool = Field(False, description="The road is closed (routing avoids it).")
    delay_s: int = Field(0, ge=0, le=7200, description="Extra seconds per traversal.")
    description: str = Field("", max_length=1000)


class IncidentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    status: str
    source: str
    segments: list[int]
    closed: bool
    delay_s: int
    lon: float
    lat: float
    description: str
    created_at: datetime
