"""Every query of the reports module."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from smartcity.reports.models import (
    Agency,
    AgencyKind,
    Category,
    Notification,
    OutboxMessage,
    OutboxState,
    Report,
    ReportEvent,
    ReportStatus,
    Supporter,
    WardStats,
)


@dataclass(frozen=True)
class ReportFilter:
    category: str | None = None
    ward_code: int | None = None
    statuses: tuple[ReportStatus, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    ids: tuple[int, ...] = ()


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


# --- reference data -----------------------------------------------------------------


def categories(session: Session, *, active_only: bool = True) -> Sequence[Category]:
    query = select(Category).order_by(Category.sort_order, Category.code)
    if active_only:
        query = query.where(Category.active.is_(True))
    return session.scalars(query).all()


def category(session: Session, code: str) -> Category | None:
    return session.get(Category, code)


def category_codes(session: Session) -> set[str]:
    return set(session.scalars(select(Category.code)))


def agency(session: Session, code: str) -> Agency | None:
    return session.get(Agency, code)


def agency_codes(session: Session) -> set[str]:
    return set(session.scalars(select(Agency.code)))


def city_agency_of_kind(session: Session, kind: AgencyKind) -> Agency | None:
    return session.scalars(
        select(Agency).where(Agency.kind == kind, Agency.ward_code.is_(None)).order_by(Agency.code)
    ).first()


def agency_names(session: Session, codes: Collection[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = session.execute(select(Agency.code, Agency.name).where(Agency.code.in_(codes)))
    return {str(code): str(name) for code, name in rows}


# --- reports ------------------------------------------------------------------------


def get_report(session: Session, report_id: int) -> Report | None:
    return session.get(Report, report_id)


def get_report_for_update(session: Session, report_id: int) -> Report | None:
    return session.scalars(
        select(Report)
        .where(Report.id == report_id)
        .with_for_update()
        .execution_options(populate_existing=True)  # not a stale copy from this session
    ).first()


def _filtered[Q: Select[*tuple[Any, ...]]](query: Q, where: ReportFilter) -> Q:
    if where.category:
        query = query.where(Report.category_code == where.category)
    if where.ward_code is not None:
        query = query.where(Report.ward_code == where.ward_code)
    if where.statuses:
        query = query.where(Report.status.in_(where.statuses))
    if where.since is not None:
        query = query.where(Report.created_at >= where.since)
    if where.until is not None:
        query = query.where(Report.created_at < where.until)
    if where.ids:
        query = query.where(Report.id.in_(where.ids))
    return query


def list_reports(
    session: Session, where: ReportFilter, *, before: int | None, limit: int
) -> Sequence[Report]:
    """Newest first; ``before`` is the id of the last report of the previous page."""
    query = _filtered(select(Report), where)
    if before is not None:
        query = query.where(Report.id < before)
    # Ids grow with time, so id order is receipt order and a keyset on id is exact.
    return session.scalars(query.order_by(Report.id.desc()).limit(limit)).all()


def map_points(
    session: Session,
    where: ReportFilter,
    *,
    bbox: tuple[float, float, float, float],
    cells: Collection[int] | None,
    limit: int,
) -> Sequence[tuple[int, float, float, str, ReportStatus]]:
    """Newest reports inside ``bbox``; ``cells`` (when the box is small) narrows by index."""
    min_lon, min_lat, max_lon, max_lat = bbox
    query = _filtered(
        select(Report.id, Report.lon, Report.lat, Report.category_code, Report.status), where
    ).where(Report.lon.between(min_lon, max_lon), Report.lat.between(min_lat, max_lat))
    if cells is not None:
        query = query.where(Report.cell.in_(cells))
    rows = session.execute(query.order_by(Report.id.desc()).limit(limit))
    return [(int(i), float(lo), float(la), str(c), s) for i, lo, la, c, s in rows]


def reports_in_box(
    session: Session, where: ReportFilter, *, bbox: tuple[float, float, float, float], limit: int
) -> Sequence[Report]:
    min_lon, min_lat, max_lon, max_lat = bbox
    query = _filtered(select(Report), where).where(
        Report.lon.between(min_lon, max_lon), Report.lat.between(min_lat, max_lat)
    )
    return session.scalars(query.order_by(Report.id.desc()).limit(limit)).all()


def open_reports_in_cells(
    session: Session, *, category: str, cells: Collection[int], limit: int
) -> Sequence[Report]:
    query = (
        select(Report)
        .where(
            Report.category_code == category,
            Report.status.in_(
                (
                    ReportStatus.received,
                    ReportStatus.assigned,
                    ReportStatus.in_progress,
                    ReportStatus.waiting_info,
                )
            ),
            Report.cell.in_(cells),
        )
        .order_by(Report.id.desc())
        .limit(limit)
    )
    return session.scalars(query).all()


def timeline(session: Session, report_id: int) -> Sequence[ReportEvent]:
    return session.scalars(
        select(ReportEvent).where(ReportEvent.report_id == report_id).order_by(ReportEvent.id)
    ).all()


def queue(
    session: Session,
    *,
    agency_code: str | None,
    ward_codes: Collection[int] | None,
    statuses: Collection[ReportStatus],
    limit: int,
) -> Sequence[Report]:
    """An office's open reports, the nearest deadline first."""
    query = select(Report).where(Report.status.in_(statuses))
    if agency_code is not None:
        query = query.where(Report.agency_code == agency_code)
    if ward_codes is not None:
        query = query.where(Report.ward_code.in_(ward_codes))
    return session.scalars(query.order_by(Report.due_at, Report.id).limit(limit)).all()


def reports_by_ids(session: Session, ids: Collection[int]) -> Sequence[Report]:
    return session.scalars(select(Report).where(Report.id.in_(ids)).order_by(Report.id)).all()


# --- supporters and notifications ---------------------------------------------------


def supporter(session: Session, report_id: int, user_id: int) -> Supporter | None:
    return session.scalars(
        select(Supporter).where(Supporter.report_id == report_id, Supporter.user_id == user_id)
    ).first()


def supporter_contacts(session: Session, report_id: int) -> list[tuple[int | None, str | None]]:
    rows = session.execute(
        select(Supporter.user_id, Supporter.email).where(Supporter.report_id == report_id)
    )
    return [(user_id, email) for user_id, email in rows]


def notifications_after(
    session: Session, *, user_id: int, after_id: int, limit: int = 50
) -> Sequence[Notification]:
    return session.scalars(
        select(Notification)
        .where(Notification.user_id == user_id, Notification.id > after_id)
        .order_by(Notification.id)
        .limit(limit)
    ).all()


def pending_outbox(session: Session, *, limit: int) -> Sequence[OutboxMessage]:
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.pending)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()


# --- statistics ---------------------------------------------------------------------

STAT_COLUMNS = ("received", "closed", "on_time", "late", "handling_seconds", "rated", "rating_sum")


def bump_stats(session: Session, *, ward_code: int, period: str, **deltas: float) -> None:
    """Add ``deltas`` to the ward's row for ``period`` (created at zero when missing)."""
    changes = {name: value for name, value in deltas.items() if value}
    if not changes:
        return
    if session.get(WardStats, (ward_code, period)) is None:
        session.add(WardStats(ward_code=ward_code, period=period))
        session.flush()
    session.execute(
        update(WardStats)
        .where(WardStats.ward_code == ward_code, WardStats.period == period)
        .values({getattr(WardStats, k): getattr(WardStats, k) + v for k, v in changes.items()})
        .execution_options(synchronize_session=False)
    )


def ward_stats(
    session: Session, *, first_period: str, last_period: str, ward_code: int | None
) -> list[tuple[int, dict[str, float]]]:
    columns = [func.sum(getattr(WardStats, name)).label(name) for name in STAT_COLUMNS]
    query = (
        select(WardStats.ward_code, *columns)
        .where(WardStats.period >= first_period, WardStats.period <= last_period)
        .group_by(WardStats.ward_code)
        .order_by(WardStats.ward_code)
    )
    if ward_code is not None:
        query = query.where(WardStats.ward_code == ward_code)
    return [
        (int(row[0]), {name: float(row[i + 1] or 0) for i, name in enumerate(STAT_COLUMNS)})
        for row in session.execute(query)
    ]
