"""API shapes of reports."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator

from smartcity.core.schemas import MAX_ID, Latitude, Longitude, Schema
from smartcity.reports.models import AgencyKind, EventKind, ReportStatus

MAX_PHOTOS = 5
ReportID = Annotated[int, Field(ge=1, le=MAX_ID)]
MAX_DESCRIPTION = 4000


class WaterDepthLevel(enum.StrEnum):
    """What a citizen can judge by eye; mapped to centimetres by ``DEPTH_LEVEL_CM``."""

    ankle = "ankle"
    knee = "knee"
    thigh = "thigh"


#: Rough depth of each level on an adult, in cm (an estimate, stated as such in the API).
DEPTH_LEVEL_CM = {WaterDepthLevel.ankle: 10, WaterDepthLevel.knee: 45, WaterDepthLevel.thigh: 70}


class JamSeverity(enum.StrEnum):
    slow = "slow"
    congested = "congested"
    standstill = "standstill"


class ReportFields(BaseModel):
    """Structured fields: flooding (depth) and traffic (severity, lanes)."""

    water_depth_cm: Annotated[int | None, Field(ge=0, le=300)] = None
    water_depth_level: WaterDepthLevel | None = None
    jam_severity: JamSeverity | None = None
    blocked_lanes: Annotated[int | None, Field(ge=0, le=12)] = None


def _strip(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


class ReportCreate(BaseModel):
    category: Annotated[str, Field(min_length=1, max_length=40)]
    lon: Longitude | None = None
    lat: Latitude | None = None
    address: Annotated[str | None, Field(max_length=300)] = None
    description: Annotated[str, Field(max_length=MAX_DESCRIPTION)]
    anonymous: bool = False
    contact_name: Annotated[str | None, Field(max_length=200)] = None
    contact_email: Annotated[str | None, Field(max_length=254)] = None
    contact_phone: Annotated[str | None, Field(max_length=20, pattern=r"^\+?[0-9 .-]{6,20}$")] = (
        None
    )
    fields: ReportFields = Field(default_factory=ReportFields)

    @field_validator("description")
    @classmethod
    def _description_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("description must not be empty")
        return value

    @field_validator("address", "contact_name", "contact_email", "contact_phone")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return _strip(value)


class ReportAction(enum.StrEnum):
    accept = "accept"
    assign = "assign"
    start = "start"
    transfer = "transfer"
    request_info = "request_info"
    resolve = "resolve"
    reject = "reject"


class ActionRequest(BaseModel):
    action: ReportAction
    note: Annotated[str | None, Field(max_length=MAX_DESCRIPTION)] = None
    #: ``transfer``: the agency kind (or code) to send the report to.
    agency: Annotated[str | None, Field(max_length=50)] = None
    #: ``assign``: the officer's user id.
    assignee_id: ReportID | None = None

    @field_validator("note", "agency")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return _strip(value)


class BulkActionRequest(ActionRequest):
    report_ids: Annotated[list[ReportID], Field(min_length=1, max_length=200)]


class RatingRequest(BaseModel):
    rating: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[str | None, Field(max_length=2000)] = None
    key: Annotated[str | None, Field(max_length=100)] = None


class ReopenRequest(BaseModel):
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    key: Annotated[str | None, Field(max_length=100)] = None


class InfoRequest(BaseModel):
    note: Annotated[str, Field(min_length=1, max_length=MAX_DESCRIPTION)]
    key: Annotated[str | None, Field(max_length=100)] = None


class CategoryOut(Schema):
    code: str
    name: str
    description: str
    agency_kind: AgencyKind
    acknowledge_days: int
    request_info_days: int
    handle_days: int
    field_set: str


class TimelineEntry(Schema):
    at: datetime
    kind: EventKind
    agency_code: str | None
    note: str | None
    photos: list[str]


class ReportSummary(Schema):
    id: int
    category_code: str
    status: ReportStatus
    lon: float
    lat: float
    ward_code: int
    agency_code: str
    created_at: datetime
    due_at: datetime
    supporters: int


class ReportOut(ReportSummary):
    description: str
    address: str | None
    ward_name: str | None = None
    agency_name: str | None = None
    fields: dict[str, Any]
    photos: list[str]
    answer: str | None
    answer_photos: list[str]
    reason: str | None
    rating: int | None
    closed_at: datetime | None
    overdue: bool = False
    timeline: list[TimelineEntry] = Field(default_factory=list)


class ReportCreated(ReportOut):
    #: Private key of an anonymous reporter: lets them rate and reopen. Shown once.
    reporter_key: str | None = None


class ReportPage(BaseModel):
    items: list[ReportSummary]
    limit: int
    #: Pass as ``before`` to get the next page (keyset pagination, newest first).
    next_before: int | None = None


class MapPoint(BaseModel):
    id: int
    lon: float
    lat: float
    category: str
    status: ReportStatus


class MapPoints(BaseModel):
    items: list[MapPoint]
    truncated: bool


class NearbyReport(BaseModel):
    id: int
    category_code: str
    status: ReportStatus
    description: str
    distance_m: float
    supporters: int
    created_at: datetime


class WardStatsOut(BaseModel):
    ward_code: int
    ward_name: str | None = None
    received: int
    closed: int
    on_time: int
    late: int
    on_time_rate: float | None
    average_handling_hours: float | None
    satisfaction: float | None
    rated: int


class NotificationOut(Schema):
    id: int
    report_id: int
    status: str
    message: str
    created_at: datetime
