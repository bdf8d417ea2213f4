"""API shapes of the public-services module."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, Field, field_validator

from smartcity.core.schemas import Schema

OnlineLevel = Literal["full", "partial", "none"]
Level = Literal["city", "ward"]
Unit = Literal["hours", "days", "working_days", "months"]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
#: Path shapes: printable codes only (a NUL would reach PostgreSQL as an error, not a 4xx).
DossierCode = Annotated[str, Path(pattern=r"^[0-9A-Za-z.\-]{3,60}$")]
ProcedureCode = Annotated[str, Path(pattern=r"^[0-9A-Za-z._\-]{2,30}$")]
VerifyCode = Annotated[str, Path(pattern=r"^[0-9A-Za-z_\-]{6,40}$")]
PRINTABLE = r"^[^\x00-\x1f]*$"


class Input(BaseModel):
    """A request body: no text field may carry a NUL (PostgreSQL text refuses it)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("NUL characters are not allowed")
        return value


class DocumentRequirement(Input):
    name: str = Field(min_length=2, max_length=300)
    required: bool = True


class ProcedureFields(Input):
    """Everything an administrator edits; saving creates a new version."""

    name: str = Field(min_length=3, max_length=300)
    name_en: str = Field(min_length=3, max_length=300)
    national_code: str | None = Field(None, pattern=r"^\d\.\d{6}$")
    field: str = Field(min_length=2, max_length=60)
    life_event: str = Field(min_length=2, max_length=40)
    level: Level
    agency_code: str | None = Field(None, pattern=r"^[A-Z]{2,19}$")
    online_level: OnlineLevel
    legacy_level: int = Field(ge=1, le=4)
    duration: int = Field(ge=0, le=3650)
    duration_unit: Unit
    cutoff: str | None = Field(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    fee_vnd: int = Field(ge=0, le=1_000_000_000)
    documents: list[DocumentRequirement] = Field(default_factory=list, max_length=50)
    form_schema: dict[str, Any]
    result_type: str = Field(min_length=2, max_length=200)


class ProcedureSummary(Schema):
    code: str
    name: str
    life_event: str
    level: str
    agency_code: str | None
    online_level: str
    current_version: int


class ProcedureVersionOut(Schema):
    code: str
    version: int
    national_code: str | None
    name: str
    name_en: str
    field: str
    life_event: str
    level: str
    agency_code: str | None
    online_level: str
    legacy_level: int
    duration: int
    duration_unit: str
    cutoff: str | None
    fee_vnd: int
    documents: list[DocumentRequirement]
    form_schema: dict[str, Any]
    result_type: str
    created_at: datetime
    created_by: str


class DossierCreate(Input):
    procedure_code: str = Field(min_length=2, max_length=30)
    ward_code: int | None = Field(
        None, description="Ward-level procedures: the competent ward (where the applicant lives)."
    )
    applicant_name: str = Field(min_length=2, max_length=120)
    applicant_id_number: str = Field(min_length=1, max_length=20)
    applicant_phone: str = Field(min_length=1, max_length=20)
    applicant_email: str | None = Field(None, max_length=254)
    form: dict[str, Any] = Field(default_factory=dict)
    attachments: list[Sha256] = Field(default_factory=list, max_length=20)


class DossierEventOut(Schema):
    at: datetime
    action: str
    from_status: int | None
    to_status: int
    actor: str
    note: str | None
    unit_code: str


class AttachmentOut(Schema):
    sha256: str
    name: str
    content_type: str
    size: int
    purpose: str


class DossierOut(Schema):
    code: str
    procedure_code: str
    procedure_version: int
    procedure_name: str
    unit_code: str
    received_unit: str
    channel: str
    status: int
    status_label: str
    applicant_name: str
    form_data: dict[str, Any]
    fee_vnd: int
    paid_at: datetime | None
    submitted_at: datetime
    received_at: datetime | None
    due_at: datetime | None
    current_due_at: datetime | None
    rescheduled_due_at: datetime | None
    supplement_request: str | None
    finished_at: datetime | None
    returned_at: datetime | None
    on_time: bool | None
    rating: int | None
    result_verify_code: str | None
    timeline: list[DossierEventOut]
    attachments: list[AttachmentOut]


class PublicStatus(BaseModel):
    """What anyone with the code and the phone or ID number sees: no personal data."""

    code: str
    procedure_name: str
    status: int
    status_label: str
    submitted_at: datetime
    due_at: datetime | None
    finished: bool


class ActionRequest(Input):
    note: str | None = Field(None, max_length=2000)


class TransferRequest(Input):
    unit_code: str = Field(pattern=r"^(\d{5}|[A-Z]{2,19})$")
    note: str = Field(min_length=3, max_length=2000)


class ApologyRequest(Input):
    new_due_date: date
    reason: str = Field(min_length=5, max_length=2000)


class AssignRequest(Input):
    step: str = Field(min_length=2, max_length=60)
    assignee_id: int | None = None


class SupplementAnswer(Input):
    note: str = Field(min_length=1, max_length=2000)
    attachments: list[Sha256] = Field(default_factory=list, max_length=20)


class RatingRequest(Input):
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=1000)


class PaymentInfo(BaseModel):
    code: str
    amount_vnd: int
    paid: bool
    qr_payload: str
    bank_bin: str
    account: str
    purpose: str


class PaymentNotificationIn(Input):
    transaction_id: str = Field(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")
    amount: int = Field(ge=0, le=10_000_000_000)
    reference: str = Field(min_length=1, max_length=120)
    paid_at: datetime | None = None


class PaymentNotificationOut(BaseModel):
    transaction_id: str
    outcome: str
    dossier_code: str | None


class UploadedFile(BaseModel):
    sha256: str
    content_type: str
    size: int
    url: str


class QueueItem(Schema):
    code: str
    status: int
    status_label: str
    unit_code: str
    applicant_name: str
    submitted_at: datetime
    current_due_at: datetime | None
    paid: bool


class UnitIndex(BaseModel):
    """Decision 766 indicators of one unit (or the whole city) for a period (percentages)."""

    unit_code: str
    unit_name: str
    received: int
    processed: int
    on_time: int
    on_time_rate: float | None
    online_rate: float | None
    full_online_procedures_rate: float | None
    online_payment_rate: float | None
    satisfaction: float | None
    average_rating: float | None


class QualityIndex(BaseModel):
    start: date
    end: date
    computed_at: datetime
    city: UnitIndex
    units: list[UnitIndex]


class VerifyResult(BaseModel):
    verify_code: str
    dossier_code: str
    procedure_name: str
    issued_at: datetime
    sha256: str
    key_id: str
    authentic: bool | None = Field(
        None, description="For an uploaded file: whether it is the signed, unaltered result."
    )
