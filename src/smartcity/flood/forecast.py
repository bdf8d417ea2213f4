"""Flood depth forecast per point for the next 1, 3 and 6 hours.

The model (say it plainly):

* **Rain → depth** is a linear reservoir per point: rain above what the drains take
  (``capacity`` mm/h) adds ``gain`` cm per mm to a store that empties with time constant
  ``tau_h``.  Defaults are the same for every point until the point's own sensor history
  calibrates them (:func:`calibrate`: capacity, time constant and tide threshold on grids,
  the two gains by non-negative least squares).
* **Tide → depth**: points on the tide list (domain-vn.md §6) flood by ``tide_gain`` cm per
  metre of Phú An level above ``tide_threshold_m``; other points ignore the tide.
* **Future rain**: the platform has no rain forecast feed, so the live forecast assumes the
  last hour's observed rain intensity persists for one hour and then stops (a nowcast).
  The evaluation also reports the same model fed the *true* future rain (a perfect rain
  forecast), the upper bound a real rain forecast could approach.
* It ignores: rain upstream, pumps and gates, blocked drains, wind set-up, spatial rain
  differences between gauges (one city rain series is used).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import nnls
from scipy.signal import lfilter

LEADS_H = (1, 3, 6)
STEP_H = 0.25
#: Streets the press lists as flooding with the tide (domain-vn.md §6).
TIDE_STREETS = (
    "Trần Xuân Soạn",
    "Huỳnh Tấn Phát",
    "Nguyễn Thị Thập",
    "Tôn Thất Thuyết",
    "Nguyễn Ngọc Cung",
    "Phú Định",
    "Quốc Hương",
    "Lương Định Của",
    "Bình Quới",
    "Thanh Đa",
    "Lê Văn Lương",
    "Đào Sư Tích",
)


@dataclass(frozen=True)
class Response:
    gain: float = 1.0  # cm of water per mm of rain above capacity
    capacity: float = 20.0  # mm/h the drains take away
    tau_h: float = 1.0  # hours for the store to fall to 1/e
    tide_threshold_m: float = 1.35
    tide_gain: float = 0.0  # cm per m above the threshold

    @classmethod
    def for_point(cls, name: str, stored: dict[str, float] | None = None) -> Response:
        base = cls(tide_gain=100.0) if any(t in name for t in TIDE_STREETS) else cls()
        if stored:
            return replace(base, **{k: float(v) for k, v in stored.items() if hasattr(base, k)})
        return base


def tide_depth(response: Response, tide_m: np.ndarray) -> np.ndarray:
    depth: np.ndarray = np.maximum(0.0, tide_m - response.tide_threshold_m) * response.tide_gain
    return depth


def _reservoir(inflow: np.ndarray, decay: float, store0: float = 0.0) -> np.ndarray:
    """``store[i] = store[i-1] · decay + inflow[i]`` from ``store[-1] = store0`` (vectorised)."""
    out, _ = lfilter([1.0], [1.0, -decay], inflow, zi=[store0 * decay])
    return np.asarray(out, dtype=np.float64)


def run(
    response: Response, rain_mm_h: np.ndarray, tide_m: np.ndarray, store0: float = 0.0
) -> tuple[np.ndarray, float]:
    """Depth (cm) at each step of ``STEP_H`` hours, and the rain store at the end."""
    decay = float(np.exp(-STEP_H / response.tau_h))
    excess = np.maximum(0.0, rain_mm_h - response.capacity) * STEP_H * response.gain
    store = _reservoir(excess, decay, store0)
    return store + tide_depth(response, tide_m), float(store[-1]) if len(store) else store0


def forecast(
    response: Response,
    *,
    depth_now: float,
    tide_now: float,
    future_rain_mm_h: np.ndarray,
    future_tide_m: np.ndarray,
) -> dict[int, float]:
    """Depth at each lead (h) from the observed depth now; rain and tide per STEP_H step."""
    store0 = max(0.0, depth_now - float(tide_depth(response, np.array([tide_now]))[0]))
    depths, _ = run(response, future_rain_mm_h, future_tide_m, store0)
    return {lead: round(float(depths[int(lead / STEP_H) - 1]), 1) for lead in LEADS_H}


def nowcast_rain(last_hour_mm_h: float, steps: int) -> np.ndarray:
    """Persistence for one hour, then dry."""
    rain = np.zeros(steps)
    rain[: int(1 / STEP_H)] = last_hour_mm_h
    return rain


#: What calibration tries (ASSUMPTION: ranges wide enough for HCMC hotspots, not measured).
CAPACITY_GRID_MM_H = (8.0, 12.0, 16.0, 20.0, 24.0, 28.0, 32.0)
TAU_GRID_H = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)
THRESHOLD_STEPS_M = np.arange(-0.15, 0.151, 0.025)
#: A history that never reaches this depth says nothing about how the point floods.
MIN_WET_CM = 5.0


def calibrate(
    response: Response, rain_mm_h: np.ndarray, tide_m: np.ndarray, observed_cm: np.ndarray
) -> Response:
    """Fit a point's response to its own sensor history (same steps as ``rain_mm_h``; NaN
    where the sensor said nothing): drain capacity, time constant and tide threshold on
    grids; for each, ``gain`` and ``tide_gain`` by non-negative least squares (depth is
    linear in both).  A history that never floods returns ``response`` unchanged."""
    seen = np.isfinite(observed_cm)
    if not seen.any() or float(np.max(observed_cm[seen])) < MIN_WET_CM:
        return response
    observed_cm = observed_cm[seen]
    tide_columns = {
        float(step): np.maximum(0.0, tide_m[seen] - (response.tide_threshold_m + step))
        for step in THRESHOLD_STEPS_M
    }
    best: tuple[float, Response] | None = None
    for capacity in CAPACITY_GRID_MM_H:
        excess = np.maximum(0.0, rain_mm_h - capacity) * STEP_H
        for tau in TAU_GRID_H:
            unit = _reservoir(excess, float(np.exp(-STEP_H / tau)))[seen]  # rain never stops
            for step, tide_column in tide_columns.items():
                design = np.column_stack((unit, tide_column))
                (gain, tide_gain), residual = nnls(design, observed_cm)
                if best is None or residual < best[0]:
                    best = (
                        float(residual),
                        replace(
                            response,
                            gain=round(max(float(gain), 0.05), 3),
                            capacity=capacity,
                            tau_h=tau,
                            tide_threshold_m=round(response.tide_threshold_m + step, 3),
                            tide_gain=round(float(tide_gain), 1),
                        ),
                    )
    return best[1] if best is not None else response


@dataclass
class Score:
    hits: int = 0
    misses: int = 0
    false_alarms: int = 0
    correct_negatives: int = 0

    def add(self, predicted: bool, observed: bool) -> None:
        if predicted and observed:
            self.hits += 1
        elif observed:
            self.misses += 1
        elif predicted:
            self.false_alarms += 1
        else:
            self.correct_negatives += 1

    @property
    def hit_rate(self) -> float:
        events = self.hits + self.misses
        return self.hits / events if events else float("nan")

    @property
    def false_alarm_ratio(self) -> float:
        warnings = self.hits + self.false_alarms
        return self.false_alarms / warnings if warnings else float("nan")


def risk_word(depth_cm: float, threshold: float) -> str:
    if depth_cm >= 3 * threshold:
        return "high"
    if depth_cm >= threshold:
        return "flood"
    if depth_cm >= threshold / 2:
        return "watch"
    return "low"


def leads() -> Sequence[int]:
    return LEADS_H
