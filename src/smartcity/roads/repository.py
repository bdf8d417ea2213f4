"""Every query of the roads module."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from smartcity.roads.models import RoadNetwork, RoadSegment, Street

#: Rows per INSERT batch: large enough to be fast, small enough for SQLite's variable limit.
BATCH = 2000


def active_network(session: Session) -> RoadNetwork | None:
    return session.scalars(select(RoadNetwork).where(RoadNetwork.active.is_(True))).first()


def active_version(session: Session) -> str | None:
    return session.scalar(select(RoadNetwork.version).where(RoadNetwork.active.is_(True)))


def other_networks(session: Session, keep_id: int) -> Sequence[RoadNetwork]:
    return session.scalars(select(RoadNetwork).where(RoadNetwork.id != keep_id)).all()


def add_network(session: Session, network: RoadNetwork) -> RoadNetwork:
    session.add(network)
    session.flush()
    return network


def insert_rows(
    session: Session, model: type[RoadSegment] | type[Street], rows: list[dict[str, Any]]
) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(model), rows[start : start + BATCH])


def activate(session: Session, network_id: int) -> None:
    session.execute(update(RoadNetwork).values(active=RoadNetwork.id == network_id))


def delete_networks(session: Session, network_ids: list[int]) -> None:
    if not network_ids:
        return
    # Explicit child deletes: SQLite's ON DELETE CASCADE is fine, but big cascades are
    # clearer (and faster on both backends) as set deletes.
    session.execute(delete(RoadSegment).where(RoadSegment.network_id.in_(network_ids)))
    session.execute(delete(Street).where(Street.network_id.in_(network_ids)))
    session.execute(delete(RoadNetwork).where(RoadNetwork.id.in_(network_ids)))


def search_streets(
    session: Session, *, network_id: int, key: str, ward_code: int | None, limit: int
) -> Sequence[Street]:
    """Streets whose key equals, starts with, or contains ``key`` (in that order)."""
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rank = case(
        (Street.search_key == key, 0),
        (Street.search_key.like(f"{escaped}%", escape="\\"), 1),
        else_=2,
    )
    query = select(Street).where(
        Street.network_id == network_id, Street.search_key.like(f"%{escaped}%", escape="\\")
    )
    if ward_code is not None:
        query = query.where(Street.ward_code == ward_code)
    query = query.order_by(rank, Street.length_m.desc(), Street.id).limit(limit)
    return session.scalars(query).all()


def streets_with_key(session: Session, *, network_id: int, key: str) -> Sequence[Street]:
    return session.scalars(
        select(Street)
        .where(Street.network_id == network_id, Street.search_key == key)
        .order_by(Street.length_m.desc())
    ).all()


def count_segments(session: Session, network_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(RoadSegment)
            .where(RoadSegment.network_id == network_id)
        )
        or 0
    )
