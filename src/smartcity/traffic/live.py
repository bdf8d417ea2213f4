"""Live speeds per segment: robust rolling estimates from matched probe observations.

Each batch's observations of a segment are reduced to their median; the segment's estimate
moves towards that median with a weight equal to the batch's count against the older
evidence decayed with time constant ``window_s`` (an exponentially weighted, outlier-proof
rolling window).  Pure numpy; one instance per network version, guarded by a lock.
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


@dataclass
class Snapshot:
    segments: IntArray
    speed_kmh: FloatArray
    observed_at: FloatArray  # epoch seconds
    samples: IntArray


class LiveSpeeds:
    def __init__(self, segment_count: int, *, window_s: float) -> None:
        self.window_s = window_s
        self.speed = np.full(segment_count, np.nan)
        self.weight = np.zeros(segment_count)
        self.updated = np.zeros(segment_count)
        self.samples = np.zeros(segment_count, dtype=np.int64)
        self.published = np.full(segment_count, np.nan)
        self.dirty = np.zeros(segment_count, dtype=np.bool_)
        self.version = 0
        self.lock = threading.Lock()

    def observe(self, segments: IntArray, speed_kmh: FloatArray, at: FloatArray) -> int:
        """Fold observations in; returns how many segments changed."""
        if len(segments) == 0:
            return 0
        seg, median, count = group_median(segments, speed_kmh)
        latest = np.zeros(len(seg))
        np.maximum.at(latest, np.searchsorted(seg, segments), at)
        with self.lock:
            age = np.maximum(latest - self.updated[seg], 0.0)
            old_weight = self.weight[seg] * np.exp(-age / self.window_s)
            old = np.where(np.isnan(self.speed[seg]), median, self.speed[seg])
            # robust: a batch median far from the estimate moves it by at most 50 %
            clipped = np.clip(median, old * 0.5, np.maximum(old * 1.5, old + 5.0))
            clipped = np.where(old_weight > 0, clipped, median)
            new = (old_weight * old + count * clipped) / (old_weight + count)
            self.speed[seg] = new
            self.weight[seg] = old_weight + count
            self.updated[seg] = np.maximum(self.updated[seg], latest)
            self.samples[seg] += count
            self.dirty[seg] = True
        return len(seg)

    def take_changes(self, *, min_change_kmh: float = 1.0) -> Snapshot:
        """Segments whose estimate moved since the last call (and marks them published)."""
        with self.lock:
            candidates = np.flatnonzero(self.dirty)
            self.dirty[candidates] = False
            moved = np.abs(self.speed[candidates] - self.published[candidates])
            changed = candidates[~(moved < min_change_kmh)]  # NaN published counts as moved
            self.published[changed] = self.speed[changed]
            if len(changed):
                self.version += 1
            return Snapshot(
                segments=changed.astype(np.int64),
                speed_kmh=self.speed[changed].copy(),
                observed_at=self.updated[changed].copy(),
                samples=self.samples[changed].copy(),
            )

    def fresh(self, now: float) -> npt.NDArray[np.bool_]:
        """Segments whose estimate rests on observations from the last window."""
        return (~np.isnan(self.speed)) & (now - self.updated <= self.window_s)

    def load(self, segments: IntArray, speed_kmh: FloatArray, observed_at: FloatArray) -> None:
        """Restore published states (after a restart)."""
        with self.lock:
            self.speed[segments] = speed_kmh
            self.published[segments] = speed_kmh
            self.updated[segments] = observed_at
            self.weight[segments] = 1.0
