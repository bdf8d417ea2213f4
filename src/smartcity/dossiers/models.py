"""Tables of the public-services module.

A procedure's content lives in immutable :class:`ProcedureVersion` rows; a dossier points
at the version it was filed under.  :class:`DailyUnitStats` holds per-(unit, day) counters
kept in the same transaction as each transition, so the Decision 766 index for a period
sums at most (units × days) rows instead of scanning every dossier.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
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


class Procedure(TimestampMixin, Base):
    """A procedure of the catalogue; its searchable facts mirror the current version."""

    __tablename__ = "procedures"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(300))
    search_key: Mapped[str] = mapped_column(String(600), index=True)
    life_event: Mapped[str] = mapped_column(String(40), index=True)
    level: Mapped[str] = mapped_column(String(10))  # "city" | "ward"
    agency_code: Mapped[str | None] = mapped_column(String(20))
    online_level: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ProcedureVersion(Base):
    """One immutable edition of a procedure (admins edit by adding a version)."""

    __tablename__ = "procedure_versions"
    __table_args__ = (UniqueConstraint("procedure_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    version: Mapped[int]
    code: Mapped[str] = mapped_column(String(30))
    national_code: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    field: Mapped[str] = mapped_column(String(60))
    life_event: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(10))
    agency_code: Mapped[str | None] = mapped_column(String(20))
    online_level: Mapped[str] = mapped_column(String(10))
    legacy_level: Mapped[int]
    duration: Mapped[int]
    duration_unit: Mapped[str] = mapped_column(String(20))
    cutoff: Mapped[str | None] = mapped_column(String(5))  # "HH:MM" Vietnam time
    fee_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    form_schema: Mapped[dict[str, Any]] = mapped_column(JSON)
    result_type: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80))


class Dossier(TimestampMixin, Base):
    __tablename__ = "dossiers"
    __table_args__ = (
        # The officer queue: open dossiers of a unit, nearest deadline first.
        Index("ix_dossiers_queue", "unit_code", "is_open", "current_due_at"),
        # Open-at-period-end part of the 766 index (closed_at IS NULL or > period end),
        # covering every column that query reads so it never touches the table.
        Index(
            "ix_dossiers_kpi_open",
            "closed_at",
            "received_at",
            "unit_code",
            "supplement_count",
            "kpi_due_at",
            "paused_since",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    procedure_version_id: Mapped[int] = mapped_column(ForeignKey("procedure_versions.id"))
    unit_code: Mapped[str] = mapped_column(String(20))
    received_unit: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))  # online | desk | post
    status: Mapped[int] = mapped_column(Integer, index=True)
    #: Still on an officer's desk (every status but 3, 8 and 10).
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    applicant_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    applicant_name: Mapped[str] = mapped_column(String(120))
    applicant_id_number: Mapped[str] = mapped_column(String(12))
    applicant_phone: Mapped[str] = mapped_column(String(10))
    applicant_email: Mapped[str | None] = mapped_column(String(254))
    form_data: Mapped[dict[str, Any]] = mapped_column(JSON)
    fee_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_at: Mapped[datetime | None]
    paid_online: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime]
    received_at: Mapped[datetime | None]
    #: The legal due date fixed at acceptance (kept for the KPI, never moved).
    due_at: Mapped[datetime | None]
    #: ``due_at`` moved by the working days the clock stood still: what the citizen and the
    #: officer queue see.
    current_due_at: Mapped[datetime | None]
    #: ``due_at`` plus the wall-clock pause time: Decision 766's on-time test
    #: (end − Σ pauses ≤ due ⇔ end ≤ due + Σ pauses), comparable in plain SQL.
    kpi_due_at: Mapped[datetime | None]
    rescheduled_due_at: Mapped[datetime | None]
    apology_reason: Mapped[str | None] = mapped_column(Text)
    paused_since: Mapped[datetime | None]
    pause_kind: Mapped[str | None] = mapped_column(String(12))
    supplement_count: Mapped[int] = mapped_column(Integer, default=0)
    supplement_request: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    #: When the dossier left the open set (9, 3, 8 or withdrawal): the 766 end time.
    closed_at: Mapped[datetime | None]
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    step: Mapped[str | None] = mapped_column(String(60))
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)


class DossierEvent(Base):
    """The timeline: every transition and every step, with who did it."""

    __tablename__ = "dossier_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[int | None]
    to_status: Mapped[int]
    actor: Mapped[str] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(Text)
    unit_code: Mapped[str] = mapped_column(String(20))


class DossierAttachment(Base):
    __tablename__ = "dossier_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("stored_files.sha256"))
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    purpose: Mapped[str] = mapped_column(String(20))  # submission | supplement
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class DossierSequence(Base):
    """Daily counter per unit behind the dossier code."""

    __tablename__ = "dossier_sequences"

    unit_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class PaymentNotification(Base):
    """One bank notification, keyed by the bank's transaction id (the idempotency key)."""

    __tablename__ = "payment_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_transaction_id: Mapped[str] = mapped_column(String(64), unique=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    reference: Mapped[str] = mapped_column(String(120))
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    expected_vnd: Mapped[int | None] = mapped_column(BigInteger)
    #: paid | flagged_amount | flagged_duplicate | unmatched
    outcome: Mapped[str] = mapped_column(String(20))
    bank_time: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class EResult(Base):
    """An issued electronic result: the PDF's hash, signed with the platform's Ed25519 key."""

    __tablename__ = "dossier_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    verify_code: Mapped[str] = mapped_column(String(24), unique=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("stored_files.sha256"))
    signature: Mapped[str] = mapped_column(String(120))  # base64 Ed25519 over the PDF bytes
    key_id: Mapped[str] = mapped_column(String(32))
    public_key: Mapped[str] = mapped_column(String(64))  # base64 raw key, for offline checks
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)


class DailyUnitStats(Base):
    """Counters of one competent unit on one day (Vietnam date) for the 766 index."""

    __tablename__ = "dossier_daily_stats"

    unit_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    received: Mapped[int] = mapped_column(Integer, default=0)
    received_online: Mapped[int] = mapped_column(Integer, default=0)
    fee_bearing: Mapped[int] = mapped_column(Integer, default=0)
    paid_online: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    closed_on_time: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    dislikes: Mapped[int] = mapped_column(Integer, default=0)
