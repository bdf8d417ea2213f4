"""The background work the web process starts: the daily flood calibration is scheduled when
its interval is set, and not at all when it is 0 (as in the demo)."""

from __future__ import annotations

import threading

import pytest

from smartcity import api
from smartcity.config import get_settings
from smartcity.core.db import Database
from smartcity.flood import tasks as flood_tasks


@pytest.mark.parametrize(("interval_h", "runs"), [(0.0005, True), (0.0, False)])
def test_the_flood_calibration_runs_on_its_interval(
    database: Database, monkeypatch: pytest.MonkeyPatch, interval_h: float, runs: bool
) -> None:
    ran = threading.Event()
    monkeypatch.setattr(flood_tasks, "calibrate", lambda _database: ran.set())
    monkeypatch.setattr(get_settings(), "flood_calibration_interval_h", interval_h)
    stop = api.start_background(database)
    try:
        # 0.0005 h is 1.8 s; a job that is not scheduled would not have run after 4 s either
        assert ran.wait(timeout=4.0) is runs
    finally:
        stop()
