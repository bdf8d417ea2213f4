"""Request and response shapes of the traffic API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

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


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: Literal["jam", "incident", "closure", "flood"]
    severity: str = Field(
        description="jam: heavy | standstill; closure: closed; incident: its kind; "
        "flood: shallow | deep."
    )
    status: Literal["active", "cleared"]
    network_version: str
    segments: list[int]
    length_m: float
    speed_kmh: float | None
    lon: float
    lat: float
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    road_name: str
    incident_id: int | None
    started_at: datetime
    updated_at: datetime
    cleared_at: datetime | None


HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["07:00"])]


class TimeWindow(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    days: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: list(range(7)),
        min_length=1,
        max_length=7,
        description="Weekdays, 0 = Monday … 6 = Sunday (Ho Chi Minh City time).",
    )
    start: HHMM
    end: HHMM = Field(description="Before start = the window runs past midnight.")


Coordinate = Annotated[list[float], Field(min_length=2, max_length=2)]


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=120, examples=["Nhà → cơ quan"])
    kind: Literal["place", "route"]
    coordinates: list[Coordinate] = Field(
        default_factory=list,
        max_length=500,
        description="place: [[lon, lat]]; route: the line drawn, [[lon, lat], …] (snapped "
        "to road segments when `segments` is not given).",
    )
    segments: list[Annotated[int, Field(ge=0)]] = Field(
        default_factory=list, max_length=2000, description="route: road segment ids, in order."
    )
    radius_m: float = Field(
        500.0, ge=0, le=5000, description="place: alerts within this distance; route: buffer."
    )
    windows: list[TimeWindow] = Field(
        default_factory=list, max_length=14, description="Empty = always."
    )

    @model_validator(mode="after")
    def _shape(self) -> SubscriptionCreate:
        for lon, lat in self.coordinates:
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError("coordinates are [lon, lat] in degrees")
        if self.kind == "place" and len(self.coordinates) != 1:
            raise ValueError("a place is one [lon, lat] pair")
        if self.kind == "route" and not self.segments and len(self.coordinates) < 2:
            raise ValueError("a route needs segments or at least two [lon, lat] points")
        return self


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: Literal["place", "route"]
    network_version: str
    segments: list[int]
    coordinates: list[list[float]]
    radius_m: float
    windows: list[TimeWindow]
    created_at: datetime


class SubscriptionCreated(SubscriptionOut):
    subscriber_token: str | None = Field(
        None,
        description="Anonymous callers only, on their first subscription: send it back as "
        "X-Subscriber-Token (browsers keep it in a cookie). Shown once.",
    )


class TrafficReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    report_id: str
    category: str
    status: str
    lon: float
    lat: float
    ward_code: int | None
    received_at: datetime


class PushKeys(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    p256dh: str = Field(
        min_length=80, max_length=100, description="The browser's P-256 public key, base64url."
    )
    auth: str = Field(
        min_length=16, max_length=40, description="The browser's 16-byte secret, base64url."
    )


class PushSubscriptionCreate(BaseModel):
    """What ``PushSubscription.toJSON()`` gives in the browser, plus the language wanted."""

    model_config = ConfigDict(extra="forbid", strict=True)

    endpoint: str = Field(min_length=12, max_length=2048, description="The push service URL.")
    expirationTime: int | None = Field(
        None, description="Ignored (browsers send it, most as null)."
    )
    keys: PushKeys
    language: Literal["vi", "en"] = "vi"


class PushSubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    endpoint: str
    language: str
    created_at: datetime
    last_sent_at: datetime | None
    subscriber_token: str | None = Field(
        None,
        description="Anonymous callers without a subscriber token get one (as with saved "
        "places): send it back as X-Subscriber-Token. Shown once.",
    )


class PushConfigOut(BaseModel):
    enabled: bool = Field(description="False: this server sends no Web Push.")
    application_server_key: str | None = Field(
        None, description="VAPID public key for `pushManager.subscribe`, base64url."
    )
