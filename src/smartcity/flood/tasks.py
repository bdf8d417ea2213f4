"""Event handlers and periodic jobs of the flood module."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from smartcity.core.clock import utcnow
from smartcity.core.db import Database, get_database
from smartcity.core.events import DomainEvent, get_bus
from smartcity.flood.service import POINTS_CHANGED, flood

log = logging.getLogger(__name__)

_registered = False
_version = 0
_version_lock = threading.Lock()


def live_version() -> int:
    """Bumped after every committed change of flood points (the SSE stream watches it)."""
    return _version


def _bump(_event: DomainEvent) -> None:
    global _version
    with _version_lock:
        _version += 1


def on_network_changed(_event: DomainEvent) -> None:
    """A new road network: the flood points move onto it (their own transaction)."""
    with get_database().session() as session:
        flood.reproject(session)


def on_report_created(event: DomainEvent) -> None:
    """A flooding report from the reports module feeds the fusion (its own transaction)."""
    with get_database().session() as session:
        flood.on_report_created(session, event.payload)


def register() -> list[Callable[[], None]]:
    """Subscribe the flood handlers once per process."""
    global _registered
    if _registered:
        return []
    _registered = True
    bus = get_bus()
    return [
        bus.subscribe("report.created", on_report_created),
        bus.subscribe("roads.network_changed", on_network_changed),
        bus.subscribe(POINTS_CHANGED, _bump),
        bus.subscribe("flood.segments_changed", _bump),
    ]


def refresh(database: Database, *, now: datetime | None = None) -> None:
    """Reports fade, stale sensors stop counting, the tide alert follows the tide, and the
    forecast's segment depths are published (each in one transaction)."""
    from smartcity.flood.tide import check_tide_alert

    now = now or utcnow()
    with database.session() as session:
        flood.reproject(session, now=now)  # in case a network change was missed
        flood.tick(session, now=now)
        check_tide_alert(session, now=now)
        flood.forecast(session, now=now, publish=True)


def calibrate(
    database: Database, *, now: datetime | None = None, days: float | None = None
) -> dict[str, dict[str, float]]:
    """Refit the sensor-equipped points to their own last ``days`` of readings (settings by
    default; one transaction); returns the fitted parameters by point name."""
    from smartcity.config import get_settings

    days = days if days is not None else get_settings().flood_calibration_days
    with database.session() as session:
        fitted = flood.calibrate(session, now=now or utcnow(), days=days)
    log.info("flood calibration: %d points refitted to %g days of readings", len(fitted), days)
    return fitted


def tick() -> None:
    """One refresh now (``smartcity flood tick``)."""
    refresh(get_database())
