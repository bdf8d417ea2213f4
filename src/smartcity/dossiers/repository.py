"""Every query of the public-services module."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from smartcity.core.models import StoredFile
from smartcity.dossiers.models import (
    DailyUnitStats,
    Dossier,
    DossierAttachment,
    DossierEvent,
    DossierSequence,
    EResult,
    PaymentNotification,
    Procedure,
    ProcedureVersion,
)

STAT_COUNTERS = (
    "received",
    "received_online",
    "fee_bearing",
    "paid_online",
    "closed",
    "closed_on_time",
    "rated",
    "rating_sum",
    "dislikes",
)


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


# --- catalogue ---------------------------------------------------------------------------


def procedure_by_code(session: Session, code: str) -> Procedure | None:
    return session.scalars(select(Procedure).where(Procedure.code == code)).first()


def procedure_codes(session: Session) -> set[str]:
    return set(session.scalars(select(Procedure.code)))


def version_of(session: Session, procedure_id: int, version: int) -> ProcedureVersion | None:
    return session.scalars(
        select(ProcedureVersion).where(
            ProcedureVersion.procedure_id == procedure_id, ProcedureVersion.version == version
        )
    ).first()


def versions(session: Session, procedure_id: int) -> Sequence[ProcedureVersion]:
    return session.scalars(
        select(ProcedureVersion)
        .where(ProcedureVersion.procedure_id == procedure_id)
        .order_by(ProcedureVersion.version)
    ).all()


def search_procedures(
    session: Session, *, words: list[str], life_event: str | None, limit: int, offset: int
) -> tuple[Sequence[Procedure], int]:
    query = select(Procedure).where(Procedure.active.is_(True))
    for word in words:
        query = query.where(Procedure.search_key.contains(word, autoescape=True))
    if life_event:
        query = query.where(Procedure.life_event == life_event)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Procedure.code).limit(limit).offset(offset)).all()
    return rows, int(total)


def procedure_online_counts(session: Session) -> list[tuple[str, str | None, str, int]]:
    """(level, agency_code, online_level, count) of active procedures."""
    rows = session.execute(
        select(Procedure.level, Procedure.agency_code, Procedure.online_level, func.count())
        .where(Procedure.active.is_(True))
        .group_by(Procedure.level, Procedure.agency_code, Procedure.online_level)
    ).all()
    return [(r[0], r[1], r[2], int(r[3])) for r in rows]


# --- dossiers ----------------------------------------------------------------------------


def dossier_by_code(session: Session, code: str, *, for_update: bool = False) -> Dossier | None:
    query = select(Dossier).where(Dossier.code == code)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).first()


def next_sequence(session: Session, unit_code: str, day: date) -> int:
    """Take the next number of a unit's daily counter (row-locked on PostgreSQL; SQLite
    writers are serialised by the write lock the request already holds)."""
    insert = _insert(session)
    session.execute(
        insert(DossierSequence)
        .values(unit_code=unit_code, day=day, last=0)
        .on_conflict_do_nothing(index_elements=["unit_code", "day"])
    )
    session.execute(
        update(DossierSequence)
        .where(DossierSequence.unit_code == unit_code, DossierSequence.day == day)
        .values(last=DossierSequence.last + 1)
    )
    return int(
        session.scalar(
            select(DossierSequence.last).where(
                DossierSequence.unit_code == unit_code, DossierSequence.day == day
            )
        )
        or 0
    )


def stored_files(session: Session, hashes: list[str]) -> dict[str, StoredFile]:
    if not hashes:
        return {}
    rows = session.scalars(select(StoredFile).where(StoredFile.sha256.in_(hashes))).all()
    return {row.sha256: row for row in rows}


def timeline(session: Session, dossier_id: int) -> Sequence[DossierEvent]:
    return session.scalars(
        select(DossierEvent).where(DossierEvent.dossier_id == dossier_id).order_by(DossierEvent.id)
    ).all()


def attachments(session: Session, dossier_id: int) -> Sequence[DossierAttachment]:
    return session.scalars(
        select(DossierAttachment)
        .where(DossierAttachment.dossier_id == dossier_id)
        .order_by(DossierAttachment.id)
    ).all()


def dossiers_of_user(session: Session, user_id: int, limit: int = 50) -> Sequence[Dossier]:
    return session.scalars(
        select(Dossier)
        .where(Dossier.applicant_user_id == user_id)
        .order_by(Dossier.id.desc())
        .limit(limit)
    ).all()


def queue(
    session: Session, *, units: list[str] | None, limit: int, offset: int
) -> Sequence[Dossier]:
    """Open dossiers, nearest deadline first; ``units=None`` means every unit."""
    query = select(Dossier).where(Dossier.is_open.is_(True))
    if units is not None:
        query = query.where(Dossier.unit_code.in_(units))
    # Not yet accepted dossiers have no deadline: after the dated ones, oldest first.
    query = query.order_by(Dossier.current_due_at.is_(None), Dossier.current_due_at, Dossier.id)
    return session.scalars(query.limit(limit).offset(offset)).all()


def result_for_dossier(session: Session, dossier_id: int) -> EResult | None:
    return session.scalars(select(EResult).where(EResult.dossier_id == dossier_id)).first()


def result_by_code(session: Session, verify_code: str) -> EResult | None:
    return session.scalars(select(EResult).where(EResult.verify_code == verify_code)).first()


def notification(session: Session, transaction_id: str) -> PaymentNotification | None:
    return session.scalars(
        select(PaymentNotification).where(PaymentNotification.bank_transaction_id == transaction_id)
    ).first()


# --- the 766 counters -----------------------------------------------------------------------


def bump_stats(session: Session, unit_code: str, day: date, **increments: int) -> None:
    """Add to one (unit, day) row in the caller's transaction (an upsert, so two requests
    touching the same row never lose a count)."""
    unknown = set(increments) - set(STAT_COUNTERS)
    if unknown:
        raise ValueError(f"unknown counters {unknown}")
    values = dict.fromkeys(STAT_COUNTERS, 0) | increments
    insert = _insert(session)
    statement = insert(DailyUnitStats).values(unit_code=unit_code, day=day, **values)
    statement = statement.on_conflict_do_update(
        index_elements=["unit_code", "day"],
        set_={
            name: getattr(DailyUnitStats, name) + getattr(statement.excluded, name)
            for name in increments
        },
    )
    session.execute(statement)


def period_stats(
    session: Session, start: date, end: date, unit: str | None
) -> dict[str, dict[str, int]]:
    """Counters summed per unit over [start, end]."""
    columns = [func.sum(getattr(DailyUnitStats, name)) for name in STAT_COUNTERS]
    query = (
        select(DailyUnitStats.unit_code, *columns)
        .where(DailyUnitStats.day >= start, DailyUnitStats.day <= end)
        .group_by(DailyUnitStats.unit_code)
    )
    if unit is not None:
        query = query.where(DailyUnitStats.unit_code == unit)
    return {
        row[0]: {name: int(value or 0) for name, value in zip(STAT_COUNTERS, row[1:], strict=True)}
        for row in session.execute(query)
    }


def open_at(session: Session, moment: datetime, unit: str | None) -> dict[str, tuple[int, int]]:
    """Accepted dossiers still open at ``moment``, per unit: (count, on time so far).

    On time per Decision 766: at most one supplement request, and the end (the moment, or
    the start of a supplement still waiting for the citizen) not after the due date plus
    the pauses already over.  Two range reads on the covering index ``ix_dossiers_kpi_open``
    (still open; closed after the moment) instead of one OR, which no planner serves well.
    """
    end = func.coalesce(Dossier.paused_since, moment)
    on_time = case((and_(Dossier.supplement_count <= 1, end <= Dossier.kpi_due_at), 1), else_=0)
    # Grouping by an expression, not the bare column: otherwise SQLite walks the queue index
    # (already in unit order) over the whole table instead of the covering index's range.
    unit_key = Dossier.unit_code.concat("")
    totals: dict[str, tuple[int, int]] = {}
    for still_open in (Dossier.closed_at.is_(None), Dossier.closed_at > moment):
        query = (
            select(unit_key, func.count(), func.sum(on_time))
            .where(still_open, Dossier.received_at <= moment)
            .group_by(unit_key)
        )
        if unit is not None:
            query = query.where(Dossier.unit_code == unit)
        for code, count, punctual in session.execute(query):
            before = totals.get(code, (0, 0))
            totals[code] = (before[0] + int(count), before[1] + int(punctual or 0))
    return totals
