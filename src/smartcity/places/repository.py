"""Every query of the places module."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, func, insert, select, update
from sqlalchemy.orm import Session, defer

from smartcity.places.models import LegacyWard, PlaceDataset, Ward, WardSuccession


def dataset_fingerprint(session: Session, name: str) -> str | None:
    return session.scalar(select(PlaceDataset.fingerprint).where(PlaceDataset.name == name))


def set_dataset_fingerprint(session: Session, name: str, fingerprint: str) -> None:
    dataset = session.get(PlaceDataset, name)
    if dataset is None:
        session.add(PlaceDataset(name=name, fingerprint=fingerprint))
    else:
        dataset.fingerprint = fingerprint
    session.flush()


def ward_codes(session: Session) -> set[int]:
    return set(session.scalars(select(Ward.code)))


def insert_wards(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(Ward), list(rows))


def update_wards(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk UPDATE by primary key; each row holds ``code`` and the columns to set."""
    if rows:
        session.execute(update(Ward), list(rows))


def replace_legacy_units(
    session: Session,
    legacy_rows: Sequence[dict[str, Any]],
    succession_rows: Sequence[dict[str, Any]],
) -> None:
    session.execute(delete(WardSuccession))
    session.execute(delete(LegacyWard))
    if legacy_rows:
        session.execute(insert(LegacyWard), list(legacy_rows))
    if succession_rows:
        session.execute(insert(WardSuccession), list(succession_rows))
    session.flush()


def ward_names(session: Session) -> list[Row[int, str]]:
    return list(session.execute(select(Ward.code, Ward.name).order_by(Ward.code)))


def names_for(session: Session, codes: set[int]) -> list[Row[int, str]]:
    return list(session.execute(select(Ward.code, Ward.name).where(Ward.code.in_(codes))))


def get_ward(session: Session, code: int) -> Ward | None:
    return session.get(Ward, code)


def get_ward_summary(session: Session, code: int) -> Ward | None:
    return session.scalars(
        select(Ward).options(defer(Ward.boundary)).where(Ward.code == code)
    ).one_or_none()


def search_wards(
    session: Session,
    *,
    key: str | None,
    division_type: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Ward], int]:
    conditions: list[ColumnElement[bool]] = []
    if key:
        # Keys hold only [a-z0-9 ], so the pattern needs no escaping.
        conditions.append(Ward.search_key.like(f"%{key}%"))
    if division_type:
        conditions.append(Ward.division_type == division_type)
    total = session.scalar(select(func.count()).select_from(Ward).where(*conditions)) or 0
    wards = session.scalars(
        select(Ward)
        .options(defer(Ward.boundary))
        .where(*conditions)
        .order_by(Ward.search_key, Ward.code)
        .limit(limit)
        .offset(offset)
    )
    return list(wards), total


def ward_boundaries(session: Session) -> list[Row[int, str, str, str]]:
    """(code, name, division_type, boundary GeoJSON) of every ward that has a boundary."""
    return list(
        session.execute(
            select(Ward.code, Ward.name, Ward.division_type, Ward.boundary)
            .where(Ward.boundary.is_not(None))
            .order_by(Ward.code)
        )
    )


def predecessors(session: Session, code: int) -> list[Row[LegacyWard, bool]]:
    return list(
        session.execute(
            select(LegacyWard, WardSuccession.partly)
            .join(WardSuccession, WardSuccession.legacy_code == LegacyWard.code)
            .where(WardSuccession.new_code == code)
            .order_by(LegacyWard.district_code, LegacyWard.code)
        )
    )


def successors(session: Session, legacy_code: int) -> list[Row[Ward, bool]]:
    return list(
        session.execute(
            select(Ward, WardSuccession.partly)
            .options(defer(Ward.boundary))
            .join(WardSuccession, WardSuccession.new_code == Ward.code)
            .where(WardSuccession.legacy_code == legacy_code)
            .order_by(Ward.code)
        )
    )


def find_legacy_districts(
    session: Session, *, key: str, short: bool, province_codes: Collection[int]
) -> list[Row[int, str, int]]:
    """(district_code, district_name, province_code) of old districts named ``key``."""
    column = LegacyWard.district_short_key if short else LegacyWard.district_key
    statement = select(
        LegacyWard.district_code, LegacyWard.district_name, LegacyWard.province_code
    ).where(column == key)
    if province_codes:
        statement = statement.where(LegacyWard.province_code.in_(province_codes))
    return list(session.execute(statement.distinct().order_by(LegacyWard.district_code)))


def find_legacy_wards(
    session: Session,
    *,
    key: str,
    short: bool,
    district_code: int | None,
    province_codes: Collection[int],
) -> list[LegacyWard]:
    column = LegacyWard.short_key if short else LegacyWard.search_key
    statement = select(LegacyWard).where(column == key)
    if district_code is not None:
        statement = statement.where(LegacyWard.district_code == district_code)
    if province_codes:
        statement = statement.where(LegacyWard.province_code.in_(province_codes))
    return list(session.scalars(statement.order_by(LegacyWard.code)))
