"""Live speeds per segment: robust rolling-window estimates from matched probe observations.

Each batch's observations of a segment are reduced to their median, which joins the segment's
ring of its ``recent`` latest observations.  The live speed is the median of the ring entries
no older than ``window_s`` before the segment's newest observation: one outlier (a parked
taxi, a GPS jump) cannot move it, and a real change takes over once it is half the window.
A segment whose newest observation is older than ``window_s`` is not fresh; publishing tells
consumers so (its speed is withdrawn) instead of letting an old jam linger in routing.
The history evaluation (:mod:`smartcity.traffic.forecast`) runs the 2020 reports through this
same class, so the forecast is scored on the estimate the live system serves.
Pure numpy; one instance per network version, guarded by a lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

LEVELS = ("free", "slow", "heavy", "standstill")
LOS = ("A", "B", "C", "D", "E", "F")
#: Observations kept per segment for its rolling median.
RECENT = 16


def congestion_level(ratio: FloatArray, thresholds: tuple[float, ...]) -> IntArray:
    """0 free, 1 slow, 2 heavy, 3 standstill from speed / free-flow ratios."""
    level = np.full(ratio.shape, len(thresholds), dtype=np.int64)
    for code, threshold in reversed(list(enumerate(thresholds))):
        level[ratio >= threshold] = code
    return level


def level_of_service(ratio: FloatArray, thresholds: tuple[float, ...]) -> IntArray:
    """0..5 = LOS A..F from speed / free-flow ratios."""
    return congestion_level(ratio, thresholds)


def group_median(keys: IntArray, values: FloatArray) -> tuple[IntArray, FloatArray, IntArray]:
    """Per distinct key: the median of its values and how many there were."""
    order = np.lexsort((values, keys))
    keys, values = keys[order], values[order]
    unique, first, counts = np.unique(keys, return_index=True, return_counts=True)
    lower = values[first + (counts - 1) // 2]
    upper = values[first + counts // 2]
    return unique, (lower + upper) / 2.0, counts


def row_median(values: FloatArray) -> FloatArray:
    """Median of each row ignoring NaN (NaN for an all-NaN row), without warnings."""
    ordered = np.sort(values, axis=1)  # NaN sorts last
    n = np.count_nonzero(~np.isnan(ordered), axis=1)
    rows = np.arange(len(ordered))
    lower = ordered[rows, np.maximum(n - 1, 0) // 2]
    upper = ordered[rows, np.minimum(n // 2, ordered.shape[1] - 1)]
    return np.where(n > 0, (lower + upper) / 2.0, np.nan)


@dataclass
class Snapshot:
    """Segments to publish: a speed, or NaN where the estimate is no longer fresh."""

    segments: IntArray
    speed_kmh: FloatArray
    observed_at: FloatArray  # epoch seconds
    samples: IntArray


class LiveSpeeds:
    def __init__(self, segment_count: int, *, window_s: float, recent: int = RECENT) -> None:
        self.window_s = window_s
        self.speed = np.full(segment_count, np.nan)
        self.updated = np.zeros(segment_count)
        self.samples = np.zeros(segment_count, dtype=np.int64)
        self.published = np.full(segment_count, np.nan)
        self.dirty = np.zeros(segment_count, dtype=np.bool_)
        self.version = 0
        self.lock = threading.Lock()
        self._ring_speed = np.full((segment_count, recent), np.nan)
        self._ring_time = np.full((segment_count, recent), -np.inf)
        self._filled = np.zeros(segment_count, dtype=np.int64)

    def observe(self, segments: IntArray, speed_kmh: FloatArray, at: FloatArray) -> int:
        """Fold observations in; returns how many segments they touched."""
        if len(segments) == 0:
            return 0
        seg, median, count = group_median(segments, speed_kmh)
        latest = np.zeros(len(seg))
        np.maximum.at(latest, np.searchsorted(seg, segments), at)
        with self.lock:
            slot = self._filled[seg] % self._ring_speed.shape[1]
            self._ring_speed[seg, slot] = median
            self._ring_time[seg, slot] = latest
            self._filled[seg] += 1
            newest = np.maximum(self.updated[seg], latest)
            in_window = self._ring_time[seg] >= (newest - self.window_s)[:, None]
            estimate = row_median(np.where(in_window, self._ring_speed[seg], np.nan))
            # an observation older than the window changes nothing
            self.speed[seg] = np.where(np.isnan(estimate), self.speed[seg], estimate)
            self.updated[seg] = newest
            self.samples[seg] += count
            self.dirty[seg] = True
        return len(seg)

    def take_changes(self, now: float, *, min_change_kmh: float = 1.0) -> Snapshot:
        """Fresh segments whose estimate moved since the last call, then published segments
        that are no longer fresh (speed NaN, withdrawn); marks them published."""
        with self.lock:
            fresh = self.fresh(now)
            candidates = np.flatnonzero(self.dirty & fresh)
            self.dirty[:] = False  # a stale estimate is not published, however it moved
            moved = np.abs(self.speed[candidates] - self.published[candidates])
            changed = candidates[~(moved < min_change_kmh)]  # NaN published counts as moved
            expired = np.flatnonzero(~np.isnan(self.published) & ~fresh)
            self.published[changed] = self.speed[changed]
            self.published[expired] = np.nan
            segments = np.concatenate((changed, expired)).astype(np.int64)
            if len(segments):
                self.version += 1
            speed = self.speed[segments].copy()
            speed[len(changed) :] = np.nan
            return Snapshot(
                segments=segments,
                speed_kmh=speed,
                observed_at=self.updated[segments].copy(),
                samples=self.samples[segments].copy(),
            )

    def fresh(self, now: float) -> npt.NDArray[np.bool_]:
        """Segments whose estimate rests on observations from the last window."""
        return (~np.isnan(self.speed)) & (now - self.updated <= self.window_s)

    def load(self, segments: IntArray, speed_kmh: FloatArray, observed_at: FloatArray) -> None:
        """Restore published states (after a restart): each becomes one observation."""
        with self.lock:
            self.speed[segments] = speed_kmh
            self.published[segments] = speed_kmh
            self.updated[segments] = observed_at
            self._ring_speed[segments, 0] = speed_kmh
            self._ring_time[segments, 0] = observed_at
            self._filled[segments] = 1
