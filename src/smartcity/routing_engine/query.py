"""Elimination-tree query: walk up the etree from sources and targets, no priority queue.

Sources and targets are several (node, initial offset) pairs, which is how a point on
an arc is expressed (its head with the remaining time, its tail if two-way). Scratch
arrays are allocated once per query object and only touched entries are reset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt

from smartcity.routing_engine.cch import CCH
from smartcity.routing_engine.customize import INF_WEIGHT, Metric

IntArray = npt.NDArray[np.int32]
WeightArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class QueryResult:
    """Cost in ms and the input arcs (of the graph the CCH was built on), in travel order."""

    cost_ms: int
    arcs: npt.NDArray[np.int64]
    source_node: int  # input node the path starts at
    target_node: int


class CCHQuery:
    """Reusable query over a :class:`Metric`; re-customising the metric is seen at once."""

    def __init__(self, metric: Metric) -> None:
        self.metric = metric
        n = metric.cch.node_count
        self._forward = np.full(n, INF_WEIGHT, dtype=np.int64)
        self._backward = np.full(n, INF_WEIGHT, dtype=np.int64)
        self._forward_pred = np.full(n, -1, dtype=np.int64)
        self._backward_pred = np.full(n, -1, dtype=np.int64)
        self._forward_seen = np.zeros(n, dtype=np.bool_)
        self._backward_seen = np.zeros(n, dtype=np.bool_)

    def run(
        self,
        sources: list[tuple[int, int]] | npt.NDArray[np.int64],
        targets: list[tuple[int, int]] | npt.NDArray[np.int64],
    ) -> QueryResult | None:
        """Cheapest path from any (node, offset_ms) source to any target; None if unreachable."""
        source_array = _pairs(sources)
        target_array = _pairs(targets)
        if len(source_array) == 0 or len(target_array) == 0:
            return None
        cch: CCH = self.metric.cch
        m = self.metric
        cost, arcs, source_rank, target_rank = _etree_query(
            cch.up_first_out, cch.up_tail, cch.up_head, cch.parent,
            m.up_weight, m.down_weight, m.up_via, m.down_via,
            cch.triangle_low_tail, cch.triangle_low_head,
            cch.rank[source_array[:, 0]].astype(np.int64), source_array[:, 1],
            cch.rank[target_array[:, 0]].astype(np.int64), target_array[:, 1],
            self._forward, self._backward, self._forward_pred, self._backward_pred,
            self._forward_seen, self._backward_seen,
        )  # fmt: skip
        if cost >= INF_WEIGHT:
            return None
        return QueryResult(
            cost_ms=int(cost),
            arcs=arcs,
            source_node=int(cch.order[source_rank]),
            target_node=int(cch.order[target_rank]),
        )

    def distance(self, source: int, target: int) -> int | None:
        result = self.run([(source, 0)], [(target, 0)])
        return None if result is None else result.cost_ms


def _pairs(pairs: list[tuple[int, int]] | npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    array = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if np.any(array[:, 1] < 0):
        raise ValueError("offsets must be non-negative milliseconds")
    return array


@numba.njit(cache=True)
def _collect_ancestors(
    start: WeightArray, parent: IntArray, seen: npt.NDArray[np.bool_]
) -> WeightArray:
    found = []
    for s in start:
        v = s
        while v != -1 and not seen[v]:
            seen[v] = True
            found.append(v)
            v = parent[v]
    result = np.empty(len(found), dtype=np.int64)
    for k in range(len(found)):
        result[k] = found[k]
    result.sort()
    return result


@numba.njit(cache=True)
def _etree_query(
    up_first_out: IntArray,
    up_tail: IntArray,
    up_head: IntArray,
    parent: IntArray,
    up_weight: WeightArray,
    down_weight: WeightArray,
    up_via: WeightArray,
    down_via: WeightArray,
    low_tail: IntArray,
    low_head: IntArray,
    source_rank: WeightArray,
    source_offset: WeightArray,
    target_rank: WeightArray,
    target_offset: WeightArray,
    forward: WeightArray,
    backward: WeightArray,
    forward_pred: WeightArray,
    backward_pred: WeightArray,
    forward_seen: npt.NDArray[np.bool_],
    backward_seen: npt.NDArray[np.bool_],
) -> tuple[int, npt.NDArray[np.int64], int, int]:
    for k in range(len(source_rank)):
        if source_offset[k] < forward[source_rank[k]]:
            forward[source_rank[k]] = source_offset[k]
    for k in range(len(target_rank)):
        if target_offset[k] < backward[target_rank[k]]:
            backward[target_rank[k]] = target_offset[k]
    # Upper neighbours are etree ancestors, so the union of the ancestor paths in
    # rank order is a topological order for both searches.
    forward_nodes = _collect_ancestors(source_rank, parent, forward_seen)
    backward_nodes = _collect_ancestors(target_rank, parent, backward_seen)
    for v in forward_nodes:
        dv = forward[v]
        if dv >= INF_WEIGHT:
            continue
        for c in range(up_first_out[v], up_first_out[v + 1]):
            candidate = dv + up_weight[c]
            w = up_head[c]
            if candidate < forward[w]:
                forward[w] = candidate
                forward_pred[w] = c
    best = INF_WEIGHT
    meeting = -1
    for v in backward_nodes:
        dv = backward[v]
        if dv >= INF_WEIGHT:
            continue
        if forward_seen[v] and forward[v] + dv < best:
            best = forward[v] + dv
            meeting = v
        for c in range(up_first_out[v], up_first_out[v + 1]):
            candidate = dv + down_weight[c]
            w = up_head[c]
            if candidate < backward[w]:
                backward[w] = candidate
                backward_pred[w] = c

    arcs = np.empty(0, dtype=np.int64)
    source_node = -1
    target_node = -1
    if meeting != -1:
        # CCH arcs: forward chain reversed (travelled upward), then backward chain (downward).
        up_chain = []
        v = meeting
        while forward_pred[v] != -1:
            up_chain.append(forward_pred[v])
            v = up_tail[forward_pred[v]]
        source_node = v
        down_chain = []
        v = meeting
        while backward_pred[v] != -1:
            down_chain.append(backward_pred[v])
            v = up_tail[backward_pred[v]]
        target_node = v
        stack_arc = []
        stack_up = []
        for k in range(len(down_chain) - 1, -1, -1):
            stack_arc.append(down_chain[k])
            stack_up.append(False)
        for k in range(len(up_chain)):
            stack_arc.append(up_chain[k])
            stack_up.append(True)
        out = []
        while len(stack_arc) > 0:
            c = stack_arc.pop()
            going_up = stack_up.pop()
            via = up_via[c] if going_up else down_via[c]
            if via < 0:
                out.append(-1 - via)
            elif going_up:  # x -> z -> y: down (z,x) then up (z,y)
                stack_arc.append(low_head[via])
                stack_up.append(True)
                stack_arc.append(low_tail[via])
                stack_up.append(False)
            else:  # y -> z -> x: down (z,y) then up (z,x)
                stack_arc.append(low_tail[via])
                stack_up.append(True)
                stack_arc.append(low_head[via])
                stack_up.append(False)
        arcs = np.empty(len(out), dtype=np.int64)
        for k in range(len(out)):
            arcs[k] = out[k]

    for v in forward_nodes:
        forward[v] = INF_WEIGHT
        forward_pred[v] = -1
        forward_seen[v] = False
    for v in backward_nodes:
        backward[v] = INF_WEIGHT
        backward_pred[v] = -1
        backward_seen[v] = False
    return int(best), arcs, int(source_node), int(target_node)
