"""Tables owned by reports: agencies, categories, reports and their timeline, supporters,
notifications (in-app and the e-mail/SMS outbox) and the per-ward statistics aggregate."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.clock import utcnow
from smartcity.core.db import Base, TimestampMixin


def _enum(kind: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(
        kind,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


class AgencyKind(enum.StrEnum):
    """Who handles a category; ``ward_committee`` is completed by the ward of the report."""

    ward_committee = "ward_committee"
    construction = "construction"
    traffic_centre = "traffic_centre"
    drainage = "drainage"
    environment = "environment"
    urban_order = "urban_order"


class ReportStatus(enum.StrEnum):
    received = "received"
    assigned = "assigned"
    in_progress = "in_progress"
    waiting_info = "waiting_info"
    resolved = "resolved"
    rejected = "rejected"


#: Statuses in which the office still owes an answer.
OPEN_STATUSES = (
    ReportStatus.received,
    ReportStatus.assigned,
    ReportStatus.in_progress,
    ReportStatus.waiting_info,
)
CLOSED_STATUSES = (ReportStatus.resolved, ReportStatus.rejected)


class Agency(Base):
    """A handling office.  City-wide agencies are seeded; a ward's People's Committee is
    ``UBND-<ward code>`` and is made on first use."""

    __tablename__ = "report_agencies"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    kind: Mapped[AgencyKind] = mapped_column(_enum(AgencyKind, 30), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Only for ward committees.
    ward_code: Mapped[int | None]


class Category(Base):
    """What a report is about, who handles it and how fast (working days)."""

    __tablename__ = "report_categories"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(300), default="")
    agency_kind: Mapped[AgencyKind] = mapped_column(_enum(AgencyKind, 30))
    #: Deadlines in working days from receipt (defaults: national PAKN rules, domain-vn §1.5).
    acknowledge_days: Mapped[int] = mapped_column(default=2)
    request_info_days: Mapped[int] = mapped_column(default=5)
    handle_days: Mapped[int] = mapped_column(default=15)
    #: Structured fields asked for this category (``flood`` or ``traffic``; empty = none).
    field_set: Mapped[str] = mapped_column(String(20), default="")
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Report(TimestampMixin, Base):
    __tablename__ = "reports"
    __table_args__ = (
        # Lists are newest first by id (ids grow with time): each filter column is indexed
        # with ``id`` so a page is read from the index without sorting the matches.
        Index("ix_reports_created_at_id", "created_at", "id"),
        Index("ix_reports_ward_code_id", "ward_code", "id"),
        Index("ix_reports_category_code_id", "category_code", "id"),
        Index("ix_reports_status_id", "status", "id"),
        # Covers the map query: the points of a few grid cells without touching the table.
        Index("ix_reports_cell_map", "cell", "id", "lon", "lat", "category_code", "status"),
        Index("ix_reports_agency_code_status_due_at", "agency_code", "status", "due_at"),
        Index("ix_reports_category_status_cell", "category_code", "status", "cell"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("report_categories.code"))
    status: Mapped[ReportStatus] = mapped_column(_enum(ReportStatus), default=ReportStatus.received)
    description: Mapped[str] = mapped_column(Text)
    lon: Mapped[float]
    lat: Mapped[float]
    #: Grid cell of about 1.1 km (0.01°) for map queries: ``lat_index * 100000 + lon_index``.
    cell: Mapped[int]
    address: Mapped[str | None] = mapped_column(String(300))
    ward_code: Mapped[int] = mapped_column(ForeignKey("wards.code"))
    agency_code: Mapped[str] = mapped_column(ForeignKey("report_agencies.code"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: SHA-256 of the private key given to the reporter (lets an anonymous reporter rate).
    reporter_key_hash: Mapped[str | None] = mapped_column(String(64))
    anonymous: Mapped[bool] = mapped_column(default=False)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    #: Category-specific structured fields (water depth, jam severity, blocked lanes).
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)
    supporters: Mapped[int] = mapped_column(default=0)
    acknowledge_due_at: Mapped[datetime]
    due_at: Mapped[datetime]
    #: Set while waiting for the citizen: the clock is stopped from then on.
    paused_at: Mapped[datetime | None]
    info_requests: Mapped[int] = mapped_column(default=0)
    closed_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(Text)
    answer_photos: Mapped[list[str]] = mapped_column(JSON, default=list)
    reason: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(Text)
    reopened: Mapped[bool] = mapped_column(default=False)
    #: Month of receipt (``YYYY-MM``, Ho Chi Minh time): the statistics row it counts in.
    period: Mapped[str] = mapped_column(String(7))


class EventKind(enum.StrEnum):
    received = "received"
    assigned = "assigned"
    in_progress = "in_progress"
    info_requested = "info_requested"
    info_provided = "info_provided"
    resolved = "resolved"
    rejected = "rejected"
    transferred = "transferred"
    reopened = "reopened"
    rated = "rated"
    supported = "supported"


class ReportEvent(Base):
    """One step of a report's public timeline."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind))
    actor: Mapped[str] = mapped_column(String(100))
    agency_code: Mapped[str | None] = mapped_column(String(50))
    note: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)


class Supporter(Base):
    """A citizen who joined a report instead of filing a duplicate; subscribed to it."""

    __tablename__ = "report_supporters"
    __table_args__ = (UniqueConstraint("report_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """An in-app message for a signed-in user (streamed by SSE)."""

    __tablename__ = "report_notifications"
    __table_args__ = (Index("ix_report_notifications_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class OutboxState(enum.StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"


class OutboxMessage(Base):
    """An e-mail or SMS waiting for the delivery adapter (written in the same transaction)."""

    __tablename__ = "report_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))
    state: Mapped[OutboxState] = mapped_column(_enum(OutboxState), default=OutboxState.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_report_outbox_state_id", "state", "id"),)


class WardStats(Base):
    """Per ward and month of receipt; kept up to date in the transaction of every change,
    so statistics never scan the reports table."""

    __tablename__ = "report_ward_stats"

    ward_code: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    received: Mapped[int] = mapped_column(default=0)
    closed: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)
    late: Mapped[int] = mapped_column(default=0)
    handling_seconds: Mapped[float] = mapped_column(default=0.0)
    rated: Mapped[int] = mapped_column(default=0)
    rating_sum: Mapped[int] = mapped_column(default=0)
