"""API shapes of the places module."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DivisionType = Literal["phường", "xã", "đặc khu"]

#: Vietnam's bounding box, roughly (mainland plus the islands the city administers).
VIETNAM_MIN_LON, VIETNAM_MAX_LON = 102.0, 110.0
VIETNAM_MIN_LAT, VIETNAM_MAX_LAT = 8.0, 24.0


class WardSummary(BaseModel):
    """A ward without its boundary."""

    model_config = ConfigDict(from_attributes=True)

    code: int = Field(description="GSO/NSO code of the ward.", examples=[26743])
    name: str = Field(examples=["Phường Bến Thành"])
    short_name: str = Field(examples=["Bến Thành"])
    division_type: DivisionType
    province_code: int = Field(examples=[79])
    has_boundary: bool
    bbox: list[float] | None = Field(
        None, description="[min_lon, min_lat, max_lon, max_lat] of the boundary."
    )
    centroid: list[float] | None = Field(None, description="[lon, lat] of the boundary.")
    area_km2: float | None = None


class WardPage(BaseModel):
    items: list[WardSummary]
    total: int
    limit: int
    offset: int


class Predecessor(BaseModel):
    """A pre-2025 ward merged (wholly or partly) into today's ward."""

    code: int
    name: str
    district_name: str
    province_name: str
    partly: bool = Field(description="Only part of the old ward went to this ward.")


class WardProperties(WardSummary):
    codename: str
    boundary_source: str | None
    predecessors: list[Predecessor]


class WardFeature(BaseModel):
    """A ward as a GeoJSON Feature (geometry null while no boundary is attached)."""

    type: Literal["Feature"] = "Feature"
    id: int
    bbox: list[float] | None = None
    geometry: dict[str, Any] | None
    properties: WardProperties


class WardLocation(BaseModel):
    lon: float
    lat: float
    ward: WardSummary


class AddressConversionRequest(BaseModel):
    """Either a whole old address, or its parts."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"address": "12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh"},
                {"street": "12 Lê Lợi", "ward": "Bến Nghé", "district": "Quận 1"},
            ]
        }
    )

    address: str | None = Field(None, min_length=1, max_length=500)
    street: str | None = Field(None, max_length=300)
    ward: str | None = Field(None, min_length=1, max_length=100)
    district: str | None = Field(None, max_length=100)
    province: str | None = Field(None, max_length=100)

    @model_validator(mode="after")
    def _address_or_ward(self) -> AddressConversionRequest:
        if not (self.address and self.address.strip()) and not (self.ward and self.ward.strip()):
            raise ValueError("give either `address` or at least `ward`")
        if self.address and (self.ward or self.district or self.street):
            raise ValueError("give either `address` or its parts, not both")
        return self


class LegacyWardMatch(BaseModel):
    """The pre-2025 ward the address was read as, and the input parts that named it."""

    code: int
    name: str
    district_code: int
    district_name: str
    province_code: int
    province_name: str
    matched_ward_text: str
    matched_district_text: str | None
    matched_province_text: str | None


class NewWardCandidate(BaseModel):
    code: int
    name: str
    division_type: DivisionType
    partly: bool
    new_address: str


class AddressConversion(BaseModel):
    input: str
    street: str | None = Field(description="The part of the address before the ward.")
    legacy_ward: LegacyWardMatch
    candidates: list[NewWardCandidate] = Field(
        description="Today's ward(s); several when the old ward was split."
    )
    partly: bool = Field(description="The old ward was split: the street decides the new ward.")
    new_address: str | None = Field(description="The converted address when the answer is unique.")
    note: str | None = None
