"""Tide at Phú An (Sài Gòn river): harmonic prediction and the BĐ I/II/III alert levels.

Two sources, best first:

1. a fit of the tide gauge's own observations with ``utide`` (``utide.solve`` /
   ``utide.reconstruct``) once the Phú An datastream holds at least :data:`MIN_FIT_DAYS` of
   readings;
2. the shipped constituents below, **APPROXIMATE**: amplitudes of the order published for
   the Vũng Tàu / Sài Gòn river mouth, damped, and phases referenced to 2000-01-01 00:00 UTC
   without nodal corrections.  Measured over 2025 they peak at 1.74 m (in Oct–Dec; press:
   1.77 m record) but give only 26 days ≥ 1.40 m where the press reports > 75, and a low of
   −2.54 m.  They are NOT a survey; replace them with
   ``SMARTCITY_TIDE_CONSTITUENTS`` (JSON) or let the gauge's data refit them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import numpy as np
from sqlalchemy.orm import Session

from smartcity.config import get_settings
from smartcity.core.clock import utcnow
from smartcity.core.i18n import N_
from smartcity.flood import repository as repo
from smartcity.flood.models import DatastreamKind

PHU_AN_LAT = 10.77
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
MIN_FIT_DAYS = 7
#: Angular speeds in degrees per hour.
SPEEDS = {
    "M2": 28.9841042,
    "S2": 30.0,
    "N2": 28.4397295,
    "K2": 30.0821373,
    "K1": 15.0410686,
    "O1": 13.9430356,
    "P1": 14.9589314,
    "Q1": 13.3986609,
    "SA": 0.0410686,
}
#: APPROXIMATE Phú An constituents: name → (amplitude m, phase deg); Z0 = mean level (m).
DEFAULT_CONSTITUENTS: dict[str, Any] = {
    "Z0": -0.05,
    "M2": [0.72, 40.0],
    "S2": [0.28, 80.0],
    "N2": [0.14, 20.0],
    "K2": [0.08, 80.0],
    "K1": [0.58, 300.0],
    "O1": [0.42, 250.0],
    "P1": [0.19, 300.0],
    "Q1": [0.08, 230.0],
    "SA": [0.16, 305.0],
}
ALERT_NAMES = ("", "BĐ I", "BĐ II", "BĐ III")


class TideModel(Protocol):
    @property
    def label(self) -> str: ...

    def predict(self, times: list[datetime]) -> np.ndarray: ...


@dataclass(frozen=True)
class HarmonicTide:
    constituents: dict[str, Any]
    label: str = "approximate constituents"

    def predict(self, times: list[datetime]) -> np.ndarray:
        hours = np.array([(t - EPOCH).total_seconds() / 3600 for t in times])
        level = np.full(len(times), float(self.constituents.get("Z0", 0.0)))
        for name, value in self.constituents.items():
            if name == "Z0":
                continue
            amplitude, phase = float(value[0]), float(value[1])
            level += amplitude * np.cos(np.radians(SPEEDS[name.upper()] * hours - phase))
        return level


@dataclass(frozen=True)
class FittedTide:
    coef: Any
    label: str = "utide fit of the gauge's observations"

    def predict(self, times: list[datetime]) -> np.ndarray:
        import utide

        stamps = np.array([t.replace(tzinfo=None) for t in times], dtype="datetime64[s]")
        result = utide.reconstruct(stamps, self.coef, verbose=False)
        return np.asarray(result.h, dtype=float)


def fit(times: list[datetime], levels: list[float]) -> FittedTide:
    """Fit constituents to observations with utide (ordinary least squares)."""
    import utide

    stamps = np.array([t.replace(tzinfo=None) for t in times], dtype="datetime64[s]")
    coef = utide.solve(
        stamps,
        np.asarray(levels, dtype=float),
        lat=PHU_AN_LAT,
        method="ols",
        conf_int="none",
        trend=False,
        nodal=False,
        verbose=False,
    )
    return FittedTide(coef)


def shipped() -> HarmonicTide:
    configured = get_settings().tide_constituents
    if configured:
        return HarmonicTide(json.loads(configured), label="configured constituents")
    return HarmonicTide(DEFAULT_CONSTITUENTS)


_fit_cache: dict[tuple[int, datetime | None], FittedTide] = {}


def model(session: Session, *, now: datetime | None = None) -> TideModel:
    """The utide fit of the tide gauge's data when there is enough, else the shipped set."""
    now = now or utcnow()
    for stream in repo.datastreams_of_kind(session, DatastreamKind.tide_level):
        key = (stream.id, stream.last_time)
        if key in _fit_cache:
            return _fit_cache[key]
        series = repo.observations_since(session, stream.id, now - timedelta(days=60))
        if len(series) >= 2 and series[-1][0] - series[0][0] >= timedelta(days=MIN_FIT_DAYS):
            fitted = fit([t for t, _ in series], [v for _, v in series])
            _fit_cache.clear()
            _fit_cache[key] = fitted
            return fitted
    return shipped()


def alert_level(level_m: float) -> int:
    """0 (below BĐ I) … 3 (BĐ III)."""
    return sum(level_m >= threshold for threshold in get_settings().tide_alert_levels_m)


def curve(
    session: Session, *, start: datetime, hours: int, step_min: int = 15
) -> tuple[str, list[datetime], np.ndarray]:
    times = [start + timedelta(minutes=step_min * i) for i in range(hours * 60 // step_min + 1)]
    tide = model(session, now=start)
    return tide.label, times, tide.predict(times)


def check_tide_alert(session: Session, *, now: datetime | None = None) -> int:
    """Raise (once per change) the city-wide tide alert for the current predicted level."""
    from smartcity.flood.service import flood

    now = now or utcnow()
    level = float(model(session, now=now).predict([now])[0])
    grade = alert_level(level)
    flood.city_alert(
        session,
        kind="tide",
        level=grade,
        message=N_("Triều tại Phú An {level} m: báo động {grade}.")
        if grade
        else N_("Triều tại Phú An {level} m: dưới mức báo động."),
        params={"level": round(level, 2), "grade": level_name(grade)},
        now=now,
    )
    return grade


def level_name(grade: int) -> str:
    return ALERT_NAMES[max(0, min(grade, 3))]


__all__ = ["alert_level", "check_tide_alert", "curve", "fit", "model", "shipped"]
