"""Route requests and GeoJSON answers."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from smartcity.core.schemas import Latitude, Longitude

LonLat = tuple[Longitude, Latitude]
Address = Annotated[str, Field(min_length=2, max_length=300)]
Ring = list[tuple[float, float]]


class Profile(enum.StrEnum):
    motorbike = "motorbike"
    car = "car"


class AvoidPolygon(BaseModel):
    """A GeoJSON Polygon (outer ring first, holes after) in lon/lat."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["Polygon"]
    coordinates: Annotated[list[Ring], Field(min_length=1, max_length=50)]


class AvoidOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    flooded: bool = Field(True, description="Close roads deeper in water than the vehicle's limit")
    jams: bool = Field(True, description="Use live speeds (off: free-flow speeds)")
    polygons: list[AvoidPolygon] = Field(
        default_factory=list, max_length=100, description="Areas to keep out of (GeoJSON)"
    )


class RouteRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "origin": [106.7009, 10.7769],
                    "destination": "Võ Văn Kiệt, Phường Chợ Quán",
                    "profile": "motorbike",
                    "avoid": {"flooded": True, "jams": True},
                    "alternatives": 1,
                    "language": "vi",
                }
            ]
        },
    )
    origin: LonLat | Address = Field(description="[lon, lat] or a Vietnamese address")
    destination: LonLat | Address
    profile: Profile = Profile.motorbike
    depart_at: datetime | None = Field(
        None, description="Departure time; live conditions are used (no forecast yet)"
    )
    avoid: AvoidOptions = Field(default_factory=AvoidOptions)
    alternatives: int = Field(0, ge=0, le=2)
    language: Literal["vi", "en"] | None = Field(
        None, description="Language of steps and notices (default: the request's language)"
    )


class Step(BaseModel):
    instruction: str
    street: str
    maneuver: (
        str  # depart, turn_left, turn_right, slight_left, slight_right, straight, u_turn, arrive
    )
    distance_m: float
    duration_s: float
    location: LonLat


class Notice(BaseModel):
    kind: str  # flood_avoided, flood_crossed, closure_avoided, jam_avoided, area_avoided, ...
    message: str
    street: str | None = None
    depth_cm: float | None = None


class RouteProperties(BaseModel):
    rank: int
    profile: Profile
    distance_m: float
    duration_s: float
    free_flow_duration_s: float
    steps: list[Step]
    notices: list[Notice]
    network_version: str
    depart_at: datetime | None = None
    attribution: str = "© OpenStreetMap contributors"


class LineString(BaseModel):
    type: Literal["LineString"] = "LineString"
    coordinates: list[tuple[float, float]]


class RouteFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    geometry: LineString
    properties: RouteProperties


class RouteCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[RouteFeature]
    snapped: dict[str, Any] = Field(
        default_factory=dict, description="Where origin and destination met the network"
    )
