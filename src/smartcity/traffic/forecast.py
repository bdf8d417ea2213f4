"""Typical profiles learnt from history and the congestion forecast, with its evaluation.

Typical speed of segment s at (weekday w, half-hour k) =
``free_flow(s) × clip(city_ratio[w, k] × scale(s))``: the city-wide ratio of speed to free
flow by weekday and half-hour, times a per-segment scale shrunk towards 1 (most segments
have only a handful of reports, so per-segment-per-slot tables would be noise).

Forecast h minutes ahead = ``now + w_h · (typical(t + h) − now)``.  *now* is the live
estimate the platform serves (the rolling median of :class:`~smartcity.traffic.live.LiveSpeeds`,
which the evaluation runs over the history reports), and ``w_h ∈ [0, 1]`` pulls it towards
the typical profile.  ``w_h`` is fitted by least absolute deviations on the pairs of the last
``fit_days`` days, and kept only if, fitted on the older half of those days, it beats ``w = 0``
on the newer half with a 95 % segment-bootstrap interval above zero; otherwise the data do not
show the profile helping and it is 0.

Evaluation: profiles from reports before the split; then walk-forward over the days after
it, each day's ``w_h`` fitted only on pairs complete before that day starts.  Baselines:
persistence (the segment's last report) and the typical value.  Pure numpy; the history
files are read by :func:`load_history`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from smartcity.core.clock import VN_TZ
from smartcity.traffic.live import LiveSpeeds

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Speed / free-flow ratio standing for each LOS label (middle of the HCM 2010 band).
LOS_RATIO = {"A": 0.92, "B": 0.76, "C": 0.58, "D": 0.45, "E": 0.35, "F": 0.2}

#: The clock of the LOS labels' date and half-hour period.  Not stated by the source, but they
#: are UTC like the speed reports' timestamps: both have almost nothing from 16:30 to 22:30,
#: which is the night in Ho Chi Minh City (23:30–05:30 local), and both peak at 00:00–00:30,
#: the morning rush (07:00 local).
LOS_PERIOD_TZ = UTC
#: Weight (in reports) of the prior scale 1.0 when estimating a segment's scale.
SHRINK = 5.0
HORIZONS_MIN = (30, 60)
#: A later report counts as "h minutes ahead" when within this many minutes of t + h.
PAIR_TOLERANCE_MIN = 10
#: Candidate weights towards the typical profile.
WEIGHT_GRID = np.linspace(0.0, 1.0, 51)
#: Fewer pairs than this in the fitting window: no evidence, weight 0.
MIN_FIT_PAIRS = 200
BOOTSTRAP_SAMPLES = 1000
DAY_S = 86400.0


def forecast_speed(
    now: float | FloatArray, typical_then: float | FloatArray, weight: float | FloatArray
) -> FloatArray:
    """``now`` pulled towards the typical value by ``weight``; where one of the two is NaN
    (unknown) the other is the forecast."""
    now = np.asarray(now, dtype=np.float64)
    typical_then = np.asarray(typical_then, dtype=np.float64)
    blended = now + np.asarray(weight) * (typical_then - now)
    return np.asarray(
        np.where(np.isnan(now), typical_then, np.where(np.isnan(typical_then), now, blended)),
        dtype=np.float64,
    )


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
            moment = datetime.fromisoformat(r["date"]).replace(
                hour=int(hour), minute=int(minute), tzinfo=LOS_PERIOD_TZ
            )
            local = moment.astimezone(VN_TZ)
            lab_seg.append(row)
            lab_w.append(local.weekday())
            lab_k.append(local.hour * 2 + local.minute // 30)
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
    """A report (origin) and the same segment's report about ``horizon`` minutes later
    (target); indices into the history's report arrays."""

    origin: IntArray
    target: IntArray


def horizon_pairs(history: History, horizon_min: int) -> Pairs:
    order = np.lexsort((history.report_time, history.report_segment))
    seg = history.report_segment[order]
    t = history.report_time[order]
    target = t + horizon_min * 60
    # search within the same segment: key = segment * big + time
    key = seg.astype(np.float64) * 1e10 + t
    want = seg.astype(np.float64) * 1e10 + target
    j = np.clip(np.searchsorted(key, want), 0, len(key) - 1)
    previous = np.maximum(j - 1, 0)
    best = np.where(np.abs(key[previous] - want) < np.abs(key[j] - want), previous, j)
    ok = (
        (seg[best] == seg)
        & (np.abs(t[best] - target) <= PAIR_TOLERANCE_MIN * 60)
        & (best != np.arange(len(seg)))
    )
    return Pairs(origin=order[ok], target=order[best[ok]])


def nowcast(history: History, window_s: float) -> FloatArray:
    """The live estimate (ratio to free flow) just after each report: the reports go
    through :class:`LiveSpeeds` in time order, as probe observations would.

    Segments are independent, so the n-th reports of all segments form one batch."""
    n = len(history.report_time)
    order = np.lexsort((history.report_time, history.report_segment))
    sorted_segment = history.report_segment[order]
    rank = np.arange(n) - np.searchsorted(sorted_segment, sorted_segment)
    by_rank = order[np.argsort(rank, kind="stable")]
    live = LiveSpeeds(len(history.segment_ids), window_s=window_s)
    estimate = np.empty(n)
    start = 0
    for count in np.bincount(rank).tolist():
        batch = by_rank[start : start + count]
        start += count
        segments = history.report_segment[batch]
        live.observe(segments, history.report_ratio[batch], history.report_time[batch])
        estimate[batch] = live.speed[segments]
    return estimate


def _best_weight(
    now: FloatArray, typical: FloatArray, truth: FloatArray, free: FloatArray
) -> float:
    predictions = now[None, :] + WEIGHT_GRID[:, None] * (typical - now)[None, :]
    errors = np.mean(np.abs(predictions - truth[None, :]) * free[None, :], axis=1)
    return float(WEIGHT_GRID[int(np.argmin(errors))])


def fit_weight(
    now: FloatArray,
    typical_then: FloatArray,
    truth: FloatArray,
    free: FloatArray,
    t0: FloatArray,
    segment: IntArray,
) -> float:
    """Least-absolute-deviation weight towards the typical profile, or 0 unless a weight
    fitted on the older half of the pairs is clearly better on the newer half (the 95 %
    interval of its gain over ``w = 0`` lies above zero)."""
    usable = ~np.isnan(now) & ~np.isnan(typical_then)
    if np.count_nonzero(usable) < MIN_FIT_PAIRS:
        return 0.0
    now, typical_then, truth, free, t0 = (a[usable] for a in (now, typical_then, truth, free, t0))
    segment = segment[usable]
    newer = t0 >= np.median(t0)
    older = ~newer
    if not older.any() or not newer.any():
        return 0.0
    trial = _best_weight(now[older], typical_then[older], truth[older], free[older])
    if trial == 0.0:
        return 0.0
    with_trial = forecast_speed(now[newer], typical_then[newer], trial)
    low, _ = _bootstrap_gain(
        segment[newer],
        np.abs(now[newer] - truth[newer]) * free[newer],
        np.abs(with_trial - truth[newer]) * free[newer],
    )
    if low <= 0.0:
        return 0.0
    return _best_weight(now, typical_then, truth, free)


def _local_day(epoch_s: FloatArray) -> IntArray:
    # Viet Nam keeps UTC+7 all year
    return np.floor((epoch_s + 7 * 3600) / DAY_S).astype(np.int64)


def _bootstrap_gain(
    segment: IntArray, error_a: FloatArray, error_b: FloatArray, seed: int = 0
) -> tuple[float, float]:
    """95 % interval of mean(error_a) − mean(error_b), resampling whole segments (pairs of
    one segment are not independent)."""
    _, cluster = np.unique(segment, return_inverse=True)
    sums_a = np.bincount(cluster, weights=error_a)
    sums_b = np.bincount(cluster, weights=error_b)
    counts = np.bincount(cluster).astype(np.float64)
    rng = np.random.default_rng(seed)
    draw = rng.integers(0, len(counts), size=(BOOTSTRAP_SAMPLES, len(counts)))
    gain = (sums_a[draw].sum(axis=1) - sums_b[draw].sum(axis=1)) / counts[draw].sum(axis=1)
    low, high = np.quantile(gain, [0.025, 0.975])
    return round(float(low), 3), round(float(high), 3)


@dataclass
class Evaluation:
    horizon_min: int
    weight: float  # towards the typical profile, fitted on the last fit_days of the history
    daily_weights: tuple[float, float]  # smallest and largest walk-forward weight
    pairs_test: int
    mae_kmh: dict[str, float]
    rmse_kmh: dict[str, float]
    los_accuracy: dict[str, float]
    #: 95 % interval of MAE(persistence) − MAE(forecast) in km/h; above 0 = forecast better
    gain_vs_persistence_kmh: tuple[float, float]


def _los_class(ratio: FloatArray) -> IntArray:
    bounds = np.array([0.85, 0.67, 0.5, 0.4, 0.3])
    return np.asarray(np.sum(ratio[:, None] < bounds[None, :], axis=1), dtype=np.int64)


@dataclass
class _Paired:
    """The arrays of one horizon's pairs."""

    t0: FloatArray
    t1: FloatArray
    segment: IntArray
    last: FloatArray  # the origin report: persistence
    now: FloatArray  # the live estimate at the origin
    typical_then: FloatArray
    truth: FloatArray
    free: FloatArray

    def weight_before(self, moment: float, fit_days: float) -> float:
        """The weight fitted on the pairs complete before ``moment`` (last ``fit_days``)."""
        known = (self.t1 < moment) & (self.t0 >= moment - fit_days * DAY_S)
        return fit_weight(
            self.now[known],
            self.typical_then[known],
            self.truth[known],
            self.free[known],
            self.t0[known],
            self.segment[known],
        )


def _paired(history: History, profiles: Profiles, now: FloatArray, horizon: int) -> _Paired:
    pairs = horizon_pairs(history, horizon)
    segment = history.report_segment[pairs.origin]
    t1 = history.report_time[pairs.target]
    weekday, slot = local_slots(t1)
    return _Paired(
        t0=history.report_time[pairs.origin],
        t1=t1,
        segment=segment,
        last=history.report_ratio[pairs.origin],
        now=now[pairs.origin],
        typical_then=profiles.typical_ratio(segment, weekday, slot),
        truth=history.report_ratio[pairs.target],
        free=history.free_flow_kmh[segment],
    )


def evaluate(
    history: History, train_until: float, *, window_s: float, fit_days: float
) -> tuple[Profiles, list[Evaluation]]:
    """Profiles from reports before ``train_until``; the forecast walked forward over the
    days after it and scored against both baselines."""
    profiles = fit_profiles(history, train_until)
    now = nowcast(history, window_s)
    results = []
    for horizon in HORIZONS_MIN:
        paired = _paired(history, profiles, now, horizon)
        test = paired.t0 >= train_until
        day = _local_day(paired.t0)
        weight = np.zeros(len(day))
        daily = []
        for d in np.unique(day[test]).tolist():
            fitted = paired.weight_before(d * DAY_S - 7 * 3600, fit_days)
            weight[test & (day == d)] = fitted
            daily.append(fitted)
        forecast = forecast_speed(paired.now, paired.typical_then, weight)
        truth, free = paired.truth[test], paired.free[test]
        predictions = {
            "persistence": paired.last[test],
            "typical": paired.typical_then[test],
            "forecast": forecast[test],
        }
        errors = {name: (p - truth) * free for name, p in predictions.items()}
        results.append(
            Evaluation(
                horizon_min=horizon,
                weight=paired.weight_before(float(history.report_time.max()) + 1.0, fit_days),
                daily_weights=(min(daily, default=0.0), max(daily, default=0.0)),
                pairs_test=int(np.count_nonzero(test)),
                mae_kmh={k: round(float(np.mean(np.abs(e))), 3) for k, e in errors.items()},
                rmse_kmh={k: round(float(np.sqrt(np.mean(e**2))), 3) for k, e in errors.items()},
                los_accuracy={
                    k: round(float(np.mean(_los_class(p) == _los_class(truth))), 4)
                    for k, p in predictions.items()
                },
                gain_vs_persistence_kmh=_bootstrap_gain(
                    paired.segment[test],
                    np.abs(errors["persistence"]),
                    np.abs(errors["forecast"]),
                ),
            )
        )
    return profiles, results
