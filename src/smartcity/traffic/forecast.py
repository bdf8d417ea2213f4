"""Typical profiles learnt from history and the congestion forecast, with its evaluation.

Model.  Typical speed of segment s at (weekday w, half-hour k) =
``free_flow(s) × clip(city_ratio[w, k] × scale(s))``: the city-wide ratio of speed to free
flow by weekday and half-hour, times a per-segment scale shrunk towards 1 (most segments
have only a handful of reports, so per-segment-per-slot tables would be noise).
Forecast h minutes ahead = ``typical(t + h) + φ_h · (current − typical(t))``: the current
anomaly decays towards the typical profile; φ_h is fitted by least squares on the training
period.  Baselines: persistence (``current``) and the typical value (``typical(t + h)``).
Pure numpy; the history files are read by :func:`load_history`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from smartcity.core.clock import VN_TZ

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Speed / free-flow ratio standing for each LOS label (middle of the HCM 2010 band).
LOS_RATIO = {"A": 0.92, "B": 0.76, "C": 0.58, "D": 0.45, "E": 0.35, "F": 0.2}
#: Weight (in reports) of the prior scale 1.0 when estimating a segment's scale.
SHRINK = 5.0
HORIZONS_MIN = (30, 60)
#: A later report counts as "h minutes ahead" when within this many minutes of t + h.
PAIR_TOLERANCE_MIN = 10


def forecast_speed(
    current: float | FloatArray,
    typical_now: float | FloatArray,
    typical_then: float | FloatArray,
    persistence: float,
) -> FloatArray:
    current = np.asarray(current, dtype=np.float64)
    anomaly = np.where(np.isnan(current), 0.0, current - np.asarray(typical_now))
    return np.asarray(np.asarray(typical_then) + persistence * anomaly, dtype=np.float64)


@dataclass
class History:
    """Speed reports (as ratios to the segment's free-flow speed) and LOS labels."""

    segment_ids: IntArray  # dataset segment id per segment row
    s_node: IntArray  # OSM ids
    e_node: IntArray
    free_flow_kmh: FloatArray
    mid_lon: FloatArray
    mid_lat: FloatArray
    report_segment: IntArray  # row into the segment arrays
    report_time: FloatArray  # epoch s
    report_ratio: FloatArray
    label_segment: IntArray
    label_weekday: IntArray
    label_slot: IntArray
    label_ratio: FloatArray
    label_date: list[str] = field(default_factory=list)


def load_history(folder: Path) -> History:
    with (folder / "hcmc_2020_observed_segments.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    segment_ids = np.array([int(r["segment_id"]) for r in rows], dtype=np.int64)
    position = {int(s): i for i, s in enumerate(segment_ids)}
    free = np.array([float(r["max_velocity"] or 0) for r in rows])
    free[free <= 0] = 40.0
    lon = np.array([(float(r["long_snode"]) + float(r["long_enode"])) / 2 for r in rows])
    lat = np.array([(float(r["lat_snode"]) + float(r["lat_enode"])) / 2 for r in rows])
    rep_seg, rep_t, rep_ratio = [], [], []
    with (folder / "hcmc_2020_segment_velocity_reports.csv").open(encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            row = position.get(int(r["segment_id"]))
            if row is None:
                continue
            moment = datetime.fromisoformat(r["updated_at"].replace("Z", "+00:00"))
            rep_seg.append(row)
            rep_t.append(moment.timestamp())
            rep_ratio.append(min(max(float(r["velocity"]) / free[row], 0.02), 1.2))
    lab_seg, lab_w, lab_k, lab_r, lab_d = [], [], [], [], []
    with (folder / "hcmc_2020_segment_los.csv").open(encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            row = position.get(int(r["segment_id"]))
            if row is None or r["LOS"] not in LOS_RATIO:
                continue
            _, hour, minute = r["period"].split("_")
            lab_seg.append(row)
            lab_w.append(int(r["weekday"]))
            lab_k.append(int(hour) * 2 + (1 if minute == "30" else 0))
            lab_r.append(LOS_RATIO[r["LOS"]])
            lab_d.append(r["date"])
    return History(
        segment_ids=segment_ids,
        s_node=np.array([int(r["s_node_id"]) for r in rows], dtype=np.int64),
        e_node=np.array([int(r["e_node_id"]) for r in rows], dtype=np.int64),
        free_flow_kmh=free,
        mid_lon=lon,
        mid_lat=lat,
        report_segment=np.array(rep_seg, dtype=np.int64),
        report_time=np.array(rep_t),
        report_ratio=np.array(rep_ratio),
        label_segment=np.array(lab_seg, dtype=np.int64),
        label_weekday=np.array(lab_w, dtype=np.int64),
        label_slot=np.array(lab_k, dtype=np.int64),
        label_ratio=np.array(lab_r),
        label_date=lab_d,
    )


def local_slots(epoch_s: FloatArray) -> tuple[IntArray, IntArray]:
    weekday = np.empty(len(epoch_s), dtype=np.int64)
    slot = np.empty(len(epoch_s), dtype=np.int64)
    for i, value in enumerate(epoch_s.tolist()):
        local = datetime.fromtimestamp(value, tz=VN_TZ)
        weekday[i] = local.weekday()
        slot[i] = local.hour * 2 + local.minute // 30
    return weekday, slot


@dataclass
class Profiles:
    city_ratio: FloatArray  # 7 × 48
    city_samples: IntArray
    scale: FloatArray  # per history segment row
    samples: IntArray

    def typical_ratio(self, segment: IntArray, weekday: IntArray, slot: IntArray) -> FloatArray:
        ratio = self.city_ratio[weekday, slot] * self.scale[segment]
        return np.asarray(np.clip(ratio, 0.02, 1.2), dtype=np.float64)


def fit_profiles(history: History, train_until: float) -> Profiles:
    """City ratio per (weekday, half-hour) and per-segment scales from data before
    ``train_until`` (epoch s); LOS labels dated before it count too."""
    train = history.report_time < train_until
    seg = history.report_segment[train]
    ratio = history.report_ratio[train]
    weekday, slot = local_slots(history.report_time[train])
    split_day = datetime.fromtimestamp(train_until, tz=UTC).date().isoformat()
    label_train = np.array([d < split_day for d in history.label_date], dtype=np.bool_)
    all_seg = np.concatenate((seg, history.label_segment[label_train]))
    all_ratio = np.concatenate((ratio, history.label_ratio[label_train]))
    all_w = np.concatenate((weekday, history.label_weekday[label_train]))
    all_k = np.concatenate((slot, history.label_slot[label_train]))
    cell = all_w * 48 + all_k
    sums = np.bincount(cell, weights=all_ratio, minlength=7 * 48)
    counts = np.bincount(cell, minlength=7 * 48)
    overall = float(all_ratio.mean()) if len(all_ratio) else 0.7
    # smooth over the neighbouring half-hours of the same weekday, then shrink to the slot
    # mean over all weekdays, then to the overall mean
    sums2 = sums.reshape(7, 48)
    counts2 = counts.reshape(7, 48).astype(np.float64)
    kernel_sum = sums2 + 0.5 * (np.roll(sums2, 1, axis=1) + np.roll(sums2, -1, axis=1))
    kernel_n = counts2 + 0.5 * (np.roll(counts2, 1, axis=1) + np.roll(counts2, -1, axis=1))
    slot_mean = (kernel_sum.sum(axis=0) + 20 * overall) / (kernel_n.sum(axis=0) + 20)
    city = (kernel_sum + 10 * slot_mean[None, :]) / (kernel_n + 10)
    typical = city[all_w, all_k]
    seg_sum = np.bincount(all_seg, weights=all_ratio / typical, minlength=len(history.segment_ids))
    seg_n = np.bincount(all_seg, minlength=len(history.segment_ids))
    scale = (seg_sum + SHRINK) / (seg_n + SHRINK)
    return Profiles(
        city_ratio=city,
        city_samples=counts.reshape(7, 48),
        scale=scale,
        samples=seg_n.astype(np.int64),
    )


@dataclass
class Pairs:
    segment: IntArray
    t0: FloatArray
    t1: FloatArray
    ratio0: FloatArray
    ratio1: FloatArray


def horizon_pairs(history: History, horizon_min: int, mask: npt.NDArray[np.bool_]) -> Pairs:
    """(report, a later report of the same segment about ``horizon`` minutes after)."""
    order = np.lexsort((history.report_time, history.report_segment))
    order = order[mask[order]]
    seg = history.report_segment[order]
    t = history.report_time[order]
    ratio = history.report_ratio[order]
    target = t + horizon_min * 60
    # search within the same segment: key = segment * big + time
    key = seg.astype(np.float64) * 1e10 + t
    want = seg.astype(np.float64) * 1e10 + target
    j = np.clip(np.searchsorted(key, want), 0, len(key) - 1)
    best = j.copy()
    previous = np.maximum(j - 1, 0)
    closer = np.abs(key[previous] - want) < np.abs(key[j] - want)
    best[closer] = previous[closer]
    ok = (
        (seg[best] == seg)
        & (np.abs(t[best] - target) <= PAIR_TOLERANCE_MIN * 60)
        & (best != np.arange(len(seg)))
    )
    return Pairs(seg[ok], t[ok], t[best][ok], ratio[ok], ratio[best][ok])


@dataclass
class Evaluation:
    horizon_min: int
    persistence: float  # fitted φ
    pairs_train: int
    pairs_test: int
    mae_kmh: dict[str, float]
    los_accuracy: dict[str, float]


def _los_class(ratio: FloatArray) -> IntArray:
    bounds = np.array([0.85, 0.67, 0.5, 0.4, 0.3])
    return np.asarray(np.sum(ratio[:, None] < bounds[None, :], axis=1), dtype=np.int64)


def evaluate(history: History, train_until: float) -> tuple[Profiles, list[Evaluation]]:
    """Fit on reports before ``train_until`` and score the forecast on the reports after."""
    profiles = fit_profiles(history, train_until)
    train = history.report_time < train_until
    results = []
    for horizon in HORIZONS_MIN:
        # φ from pairs the profile has not seen: profiles fitted on the first 70 % of the
        # training period, pairs from the last 30 % (in-sample anomalies are mostly noise)
        inner_until = float(np.quantile(history.report_time[train], 0.7))
        inner = fit_profiles(history, inner_until)
        late = train & (history.report_time >= inner_until)
        anomaly, target_gap = _prepare(history, inner, horizon_pairs(history, horizon, late))
        phi = float(
            np.clip(np.dot(anomaly, target_gap) / max(np.dot(anomaly, anomaly), 1e-9), 0, 1)
        )
        test_pairs = horizon_pairs(history, horizon, ~train)
        w0, k0 = local_slots(test_pairs.t0)
        w1, k1 = local_slots(test_pairs.t1)
        typical_now = profiles.typical_ratio(test_pairs.segment, w0, k0)
        typical_then = profiles.typical_ratio(test_pairs.segment, w1, k1)
        free = history.free_flow_kmh[test_pairs.segment]
        predictions = {
            "persistence": test_pairs.ratio0,
            "typical": typical_then,
            "forecast": forecast_speed(test_pairs.ratio0, typical_now, typical_then, phi),
        }
        truth = test_pairs.ratio1
        results.append(
            Evaluation(
                horizon_min=horizon,
                persistence=round(phi, 3),
                pairs_train=len(anomaly),
                pairs_test=len(truth),
                mae_kmh={
                    name: round(float(np.mean(np.abs(p - truth) * free)), 2)
                    for name, p in predictions.items()
                },
                los_accuracy={
                    name: round(float(np.mean(_los_class(p) == _los_class(truth))), 3)
                    for name, p in predictions.items()
                },
            )
        )
    return profiles, results


def _prepare(history: History, profiles: Profiles, pairs: Pairs) -> tuple[FloatArray, FloatArray]:
    w0, k0 = local_slots(pairs.t0)
    w1, k1 = local_slots(pairs.t1)
    typical_now = profiles.typical_ratio(pairs.segment, w0, k0)
    typical_then = profiles.typical_ratio(pairs.segment, w1, k1)
    return pairs.ratio0 - typical_now, pairs.ratio1 - typical_then
