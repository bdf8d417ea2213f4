"""Every query of the traffic module."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from smartcity.traffic.models import (
    AlertSubscription,
    Camera,
    CameraSnapshot,
    CityProfile,
    ForecastModel,
    HistorySegment,
    Incident,
    PushDelivery,
    PushSubscription,
    SegmentSpeed,
    TrafficReport,
)

BATCH = 2000


def replace_speeds(
    session: Session,
    network_version: str,
    rows: list[dict[str, Any]],
    *,
    withdrawn: Sequence[int] = (),
) -> None:
    """Upsert the published speeds in ``rows`` and delete the ``withdrawn`` segments'."""
    segments = [row["segment"] for row in rows] + list(withdrawn)
    for start in range(0, len(segments), BATCH):
        session.execute(
            delete(SegmentSpeed).where(
                SegmentSpeed.network_version == network_version,
                SegmentSpeed.segment.in_(segments[start : start + BATCH]),
            )
        )
    for start in range(0, len(rows), BATCH):
        session.execute(insert(SegmentSpeed), rows[start : start + BATCH])


def speeds(session: Session, network_version: str) -> Sequence[SegmentSpeed]:
    return session.scalars(
        select(SegmentSpeed).where(SegmentSpeed.network_version == network_version)
    ).all()


def replace_history(
    session: Session, history_rows: list[dict[str, Any]], city_rows: list[dict[str, Any]]
) -> None:
    """A new history: its segments and the city profile."""
    session.execute(delete(HistorySegment))
    session.execute(delete(CityProfile))
    for start in range(0, len(history_rows), BATCH):
        session.execute(insert(HistorySegment), history_rows[start : start + BATCH])
    if city_rows:
        session.execute(insert(CityProfile), city_rows)


def history_segments(session: Session) -> Sequence[HistorySegment]:
    return session.scalars(select(HistorySegment).order_by(HistorySegment.source_segment_id)).all()


def city_profile(session: Session) -> Sequence[CityProfile]:
    return session.scalars(select(CityProfile)).all()


def replace_forecast_models(session: Session, rows: list[dict[str, Any]]) -> None:
    session.execute(delete(ForecastModel))
    session.execute(insert(ForecastModel), rows)


def forecast_models(session: Session) -> Sequence[ForecastModel]:
    return session.scalars(select(ForecastModel).order_by(ForecastModel.horizon_min)).all()


def profile_stamp(session: Session) -> str:
    count = session.scalar(select(func.count()).select_from(HistorySegment)) or 0
    total = session.scalar(select(func.sum(CityProfile.ratio))) or 0.0
    return f"{count}-{round(float(total), 3)}"


# --- cameras ---------------------------------------------------------------------------


def cameras(session: Session) -> Sequence[Camera]:
    return session.scalars(select(Camera).order_by(Camera.code)).all()


def camera(session: Session, camera_id: int) -> Camera | None:
    return session.get(Camera, camera_id)


def camera_by_code(session: Session, code: str) -> Camera | None:
    return session.scalars(select(Camera).where(Camera.code == code)).first()


def add(session: Session, item: Camera | CameraSnapshot | Incident | TrafficReport) -> None:
    session.add(item)
    session.flush()


def latest_snapshots(session: Session) -> dict[int, CameraSnapshot]:
    newest = (
        select(CameraSnapshot.camera_id, func.max(CameraSnapshot.id).label("id"))
        .group_by(CameraSnapshot.camera_id)
        .subquery()
    )
    rows = session.scalars(select(CameraSnapshot).join(newest, CameraSnapshot.id == newest.c.id))
    return {row.camera_id: row for row in rows}


def delete_snapshots_before(session: Session, horizon: datetime) -> int:
    result = session.execute(delete(CameraSnapshot).where(CameraSnapshot.taken_at < horizon))
    return int(getattr(result, "rowcount", 0) or 0)


# --- incidents and reports -------------------------------------------------------------


def open_incidents(session: Session) -> Sequence[Incident]:
    return session.scalars(
        select(Incident).where(Incident.status == "open").order_by(Incident.id.desc())
    ).all()


def incident(session: Session, incident_id: int) -> Incident | None:
    return session.get(Incident, incident_id)


def incident_for_report(session: Session, report_id: str) -> Incident | None:
    return session.scalars(select(Incident).where(Incident.report_id == report_id)).first()


def report(session: Session, report_id: str) -> TrafficReport | None:
    return session.get(TrafficReport, report_id)


def recent_reports(session: Session, limit: int) -> Sequence[TrafficReport]:
    return session.scalars(
        select(TrafficReport).order_by(TrafficReport.received_at.desc()).limit(limit)
    ).all()


# --- Web Push ------------------------------------------------------------------------------


def push_subscription_by_endpoint(session: Session, endpoint: str) -> PushSubscription | None:
    return session.scalars(
        select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    ).first()


def push_subscriptions_of(
    session: Session, user_ids: Sequence[int], token_hashes: Sequence[str]
) -> Sequence[PushSubscription]:
    """The browsers of these users and anonymous owners."""
    if not user_ids and not token_hashes:
        return []
    return session.scalars(
        select(PushSubscription)
        .where(
            PushSubscription.user_id.in_(user_ids)
            | PushSubscription.owner_token_hash.in_(token_hashes)
        )
        .order_by(PushSubscription.id)
    ).all()


def saved_places_of_push_owners(
    session: Session, box: tuple[float, float, float, float]
) -> Sequence[AlertSubscription]:
    """The saved places and routes within reach of ``box`` (west, south, east, north) of
    every owner with at least one push subscription."""
    west, south, east, north = box
    users = select(PushSubscription.user_id).where(PushSubscription.user_id.is_not(None))
    tokens = select(PushSubscription.owner_token_hash).where(
        PushSubscription.owner_token_hash.is_not(None)
    )
    return session.scalars(
        select(AlertSubscription)
        .where(
            AlertSubscription.user_id.in_(users) | AlertSubscription.owner_token_hash.in_(tokens),
            AlertSubscription.max_lat >= south,
            AlertSubscription.min_lat <= north,
            AlertSubscription.max_lon >= west,
            AlertSubscription.min_lon <= east,
        )
        .order_by(AlertSubscription.id)
    ).all()


def push_deliveries_of_alert(
    session: Session, alert_id: int, alert_status: str
) -> Sequence[PushDelivery]:
    return session.scalars(
        select(PushDelivery).where(
            PushDelivery.alert_id == alert_id, PushDelivery.alert_status == alert_status
        )
    ).all()


def push_delivery_exists(
    session: Session, subscription_id: int, alert_id: int, alert_status: str
) -> bool:
    found = session.scalar(
        select(PushDelivery.id).where(
            PushDelivery.subscription_id == subscription_id,
            PushDelivery.alert_id == alert_id,
            PushDelivery.alert_status == alert_status,
        )
    )
    return found is not None


def due_push_deliveries(
    session: Session, now: datetime, limit: int
) -> Sequence[tuple[PushDelivery, PushSubscription]]:
    """Pending deliveries whose time has come, oldest first; rows another worker holds are
    skipped (PostgreSQL; SQLite serialises writers anyway)."""
    rows = session.execute(
        select(PushDelivery, PushSubscription)
        .join(PushSubscription, PushSubscription.id == PushDelivery.subscription_id)
        .where(PushDelivery.state == "pending", PushDelivery.due_at <= now)
        .order_by(PushDelivery.due_at, PushDelivery.id)
        .limit(limit)
        .with_for_update(of=PushDelivery, skip_locked=True)
    ).all()
    return [(delivery, browser) for delivery, browser in rows]
