"""Customisation: weights per input arc -> upward/downward CCH arc weights.

Each CCH arc's weight is the minimum over its input arcs and its lower triangles,
computed by one function for both full and partial customisation, so a partial
update gives bit-for-bit the result of a full one (weights and unpacking data).
Weights are integer milliseconds; ``INF_WEIGHT`` (or more) means closed.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

from smartcity.routing_engine.cch import CCH

WeightArray = npt.NDArray[np.int64]
IntArray = npt.NDArray[np.int32]

INF_WEIGHT = 2**60  # sums of two stay below 2**63
ORIGINAL_ARC_UNSET = -(2**62)  # "via" of an arc with no finite weight yet


class Metric:
    """CCH arc weights for one weight set; queries read it live, so updates show at once.

    ``up_via[c]`` / ``down_via[c]``: ``>= 0`` is the lower triangle that gives the
    weight (a shortcut), ``< 0`` is ``-1 - input_arc`` (an original arc).
    """

    def __init__(self, cch: CCH, input_weight_ms: npt.ArrayLike) -> None:
        self.cch = cch
        self.input_weight = normalise_weights(input_weight_ms, len(cch.input_cch_arc))
        self.up_weight = np.full(cch.arc_count, INF_WEIGHT, dtype=np.int64)
        self.down_weight = np.full(cch.arc_count, INF_WEIGHT, dtype=np.int64)
        self.up_via = np.full(cch.arc_count, ORIGINAL_ARC_UNSET, dtype=np.int64)
        self.down_via = np.full(cch.arc_count, ORIGINAL_ARC_UNSET, dtype=np.int64)
        self._dirty = np.zeros(cch.arc_count, dtype=np.bool_)
        self.customize()

    def copy(self) -> Metric:
        """An independent copy of the weights on the same CCH (no re-customisation)."""
        clone = Metric.__new__(Metric)
        clone.cch = self.cch
        clone.input_weight = self.input_weight.copy()
        clone.up_weight = self.up_weight.copy()
        clone.down_weight = self.down_weight.copy()
        clone.up_via = self.up_via.copy()
        clone.down_via = self.down_via.copy()
        clone._dirty = np.zeros_like(self._dirty)
        return clone

    def set_weights(self, input_weight_ms: npt.ArrayLike) -> None:
        """Replace every input arc weight and customise fully."""
        self.input_weight[:] = normalise_weights(input_weight_ms, len(self.input_weight))
        self.customize()

    def customize(self) -> None:
        """Full customisation from ``input_weight``."""
        c = self.cch
        _customize_all(
            c.triangle_first, c.triangle_low_tail, c.triangle_low_head,
            c.cch_input_first, c.cch_input_arc, c.input_is_up, self.input_weight,
            self.up_weight, self.down_weight, self.up_via, self.down_via,
        )  # fmt: skip

    def update(self, input_arcs: npt.ArrayLike, new_weight_ms: npt.ArrayLike) -> int:
        """Set some input arc weights and re-customise only what depends on them.

        Returns how many CCH arcs were recomputed.
        """
        arcs = np.asarray(input_arcs, dtype=np.int64).ravel()
        weights = normalise_weights(np.broadcast_to(new_weight_ms, arcs.shape), len(arcs))
        self.input_weight[arcs] = weights
        c = self.cch
        touched_cch = c.input_cch_arc[arcs]
        recomputed: int = _customize_partial(
                touched_cch[touched_cch >= 0].astype(np.int64),
                c.triangle_first,
                c.triangle_low_tail,
                c.triangle_low_head,
                c.upper_first,
                c.upper_top,
                c.cch_input_first,
                c.cch_input_arc,
                c.input_is_up,
                self.input_weight,
                self.up_weight,
                self.down_weight,
                self.up_via,
                self.down_via,
                self._dirty,
        )  # fmt: skip
        return recomputed


def normalise_weights(weight_ms: npt.ArrayLike, expected: int) -> WeightArray:
    """int64 copy with negatives rejected and anything >= 2**32 - 1 (uint32 max) closed."""
    weights = np.asarray(weight_ms)
    if weights.shape != (expected,):
        raise ValueError(f"expected {expected} weights, got shape {weights.shape}")
    if np.issubdtype(weights.dtype, np.floating):
        closed = ~np.isfinite(weights) | (weights >= 2**32 - 1)
        result = np.where(closed, 0, np.rint(weights)).astype(np.int64)
    else:
        result = weights.astype(np.int64)
        closed = result >= 2**32 - 1
    if np.any(result < 0):
        raise ValueError("weights must be non-negative milliseconds")
    result[closed] = INF_WEIGHT
    return result


@numba.njit(cache=True, inline="always")
def _recompute_arc(
    arc: int,
    triangle_first: IntArray,
    low_tail: IntArray,
    low_head: IntArray,
    cch_input_first: IntArray,
    cch_input_arc: IntArray,
    input_is_up: npt.NDArray[np.bool_],
    input_weight: WeightArray,
    up_weight: WeightArray,
    down_weight: WeightArray,
    up_via: WeightArray,
    down_via: WeightArray,
) -> bool:
    best_up = INF_WEIGHT
    best_down = INF_WEIGHT
    via_up = ORIGINAL_ARC_UNSET
    via_down = ORIGINAL_ARC_UNSET
    for k in range(cch_input_first[arc], cch_input_first[arc + 1]):
        a = cch_input_arc[k]
        w = int(input_weight[a])
        if input_is_up[a]:
            if w < best_up:
                best_up = w
                via_up = -1 - int(a)
        elif w < best_down:
            best_down = w
            via_down = -1 - int(a)
    for t in range(triangle_first[arc], triangle_first[arc + 1]):
        i = low_tail[t]  # (z, x)
        j = low_head[t]  # (z, y)
        candidate = int(down_weight[i] + up_weight[j])  # x -> z -> y
        if candidate < best_up:
            best_up = candidate
            via_up = int(t)
        candidate = int(down_weight[j] + up_weight[i])  # y -> z -> x
        if candidate < best_down:
            best_down = candidate
            via_down = int(t)
    changed = best_up != up_weight[arc] or best_down != down_weight[arc]
    up_weight[arc] = best_up
    down_weight[arc] = best_down
    up_via[arc] = via_up
    down_via[arc] = via_down
    return bool(changed)


@numba.njit(cache=True)
def _customize_all(
    triangle_first: IntArray,
    low_tail: IntArray,
    low_head: IntArray,
    cch_input_first: IntArray,
    cch_input_arc: IntArray,
    input_is_up: npt.NDArray[np.bool_],
    input_weight: WeightArray,
    up_weight: WeightArray,
    down_weight: WeightArray,
    up_via: WeightArray,
    down_via: WeightArray,
) -> None:
    for arc in range(len(up_weight)):
        _recompute_arc(
            arc, triangle_first, low_tail, low_head, cch_input_first, cch_input_arc,
            input_is_up, input_weight, up_weight, down_weight, up_via, down_via,
        )  # fmt: skip


@numba.njit(cache=True)
def _customize_partial(
    seeds: WeightArray,
    triangle_first: IntArray,
    low_tail: IntArray,
    low_head: IntArray,
    upper_first: IntArray,
    upper_top: IntArray,
    cch_input_first: IntArray,
    cch_input_arc: IntArray,
    input_is_up: npt.NDArray[np.bool_],
    input_weight: WeightArray,
    up_weight: WeightArray,
    down_weight: WeightArray,
    up_via: WeightArray,
    down_via: WeightArray,
    dirty: npt.NDArray[np.bool_],
) -> int:
    # Arcs only feed arcs with larger ids, so one sweep in id order from the lowest
    # dirty arc settles everything; a flag array beats a heap at these sizes.
    if len(seeds) == 0:
        return 0
    lowest = len(up_weight)
    for arc in seeds:
        dirty[arc] = True
        lowest = min(lowest, arc)
    recomputed = 0
    for arc in range(lowest, len(up_weight)):
        if not dirty[arc]:
            continue
        dirty[arc] = False
        recomputed += 1
        changed = _recompute_arc(
            arc, triangle_first, low_tail, low_head, cch_input_first, cch_input_arc,
            input_is_up, input_weight, up_weight, down_weight, up_via, down_via,
        )  # fmt: skip
        if changed:
            for k in range(upper_first[arc], upper_first[arc + 1]):
                dirty[upper_top[k]] = True
    return recomputed
