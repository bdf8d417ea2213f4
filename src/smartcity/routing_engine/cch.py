"""Metric-independent CCH structure: chordal supergraph, elimination tree, triangles.

Everything here lives in *rank space* (node id = position in the order). A CCH arc
``c`` joins ``up_tail[c] < up_head[c]``; arcs are sorted by tail, so every lower arc
of a triangle has a smaller id than the arc on top of it — increasing arc id is a
valid customisation order.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numba
import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class CCH:
    """Chordal supergraph of the input (rank space) and its maps back to input arcs."""

    order: IntArray  # rank -> input node
    rank: IntArray  # input node -> rank
    up_first_out: IntArray  # CSR over ranks
    up_tail: IntArray
    up_head: IntArray
    parent: IntArray  # elimination tree (lowest-ranked upper neighbour), -1 at roots
    triangle_first: IntArray  # CSR over CCH arcs: lower triangles of each arc
    triangle_low_tail: IntArray  # arc (z, x) where x = up_tail[top]
    triangle_low_head: IntArray  # arc (z, y) where y = up_head[top]
    upper_first: IntArray  # CSR over CCH arcs: arcs that have this arc in a lower triangle
    upper_top: IntArray
    input_cch_arc: IntArray  # input arc -> CCH arc (-1 for self-loops)
    input_is_up: BoolArray  # input arc goes from lower to higher rank
    cch_input_first: IntArray  # CSR over CCH arcs: input arcs carried by each arc
    cch_input_arc: IntArray

    @property
    def node_count(self) -> int:
        return len(self.order)

    @property
    def arc_count(self) -> int:
        return len(self.up_head)

    @property
    def triangle_count(self) -> int:
        return len(self.triangle_low_tail)

    def to_arrays(self, prefix: str = "cch_") -> dict[str, npt.NDArray[np.generic]]:
        return {prefix + f.name: getattr(self, f.name) for f in fields(self)}

    @staticmethod
    def from_arrays(arrays: dict[str, npt.NDArray[np.generic]], prefix: str = "cch_") -> CCH:
        values = {f.name: np.asarray(arrays[prefix + f.name]) for f in fields(CCH)}
        return CCH(**values)


def build_cch(node_count: int, tail: IntArray, head: IntArray, order: IntArray) -> CCH:
    """Contract the input graph (as undirected) along ``order``."""
    order = np.asarray(order, dtype=np.int32)
    rank = np.empty(node_count, dtype=np.int32)
    rank[order] = np.arange(node_count, dtype=np.int32)
    tail = np.asarray(tail, dtype=np.int32)
    head = np.asarray(head, dtype=np.int32)

    rank_tail = rank[tail]
    rank_head = rank[head]
    low = np.minimum(rank_tail, rank_head)
    high = np.maximum(rank_tail, rank_head)
    proper = low != high
    by_low = np.lexsort((high[proper], low[proper]))
    adjacency_low = low[proper][by_low]
    adjacency_high = high[proper][by_low]
    adjacency_first = np.searchsorted(adjacency_low, np.arange(node_count + 1)).astype(np.int32)

    up_first_out, up_head, parent = _contract(node_count, adjacency_first, adjacency_high)
    up_tail = np.repeat(np.arange(node_count, dtype=np.int32), np.diff(up_first_out))
    triangle_first, triangle_low_tail, triangle_low_head = _lower_triangles(up_first_out, up_head)
    upper_first, upper_top = _upper_lists(
        len(up_head), triangle_first, triangle_low_tail, triangle_low_head
    )
    input_cch_arc = _find_arcs(up_first_out, up_head, low, high)
    input_cch_arc[~proper] = -1
    input_is_up = rank_tail < rank_head
    carried = np.flatnonzero(input_cch_arc >= 0).astype(np.int32)
    by_arc = carried[np.argsort(input_cch_arc[carried], kind="stable")]
    cch_input_first = np.searchsorted(input_cch_arc[by_arc], np.arange(len(up_head) + 1)).astype(
        np.int32
    )
    return CCH(
        order=order,
        rank=rank,
        up_first_out=up_first_out,
        up_tail=up_tail,
        up_head=up_head,
        parent=parent,
        triangle_first=triangle_first,
        triangle_low_tail=triangle_low_tail,
        triangle_low_head=triangle_low_head,
        upper_first=upper_first,
        upper_top=upper_top,
        input_cch_arc=input_cch_arc,
        input_is_up=input_is_up,
        cch_input_first=cch_input_first,
        cch_input_arc=by_arc,
    )


@numba.njit(cache=True)
def _contract(
    node_count: int, adjacency_first: IntArray, adjacency_high: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    # Upper neighbours of v = its own higher neighbours plus those of its etree
    # children (minus v): merging only into the parent is enough for a chordal fill.
    capacity = max(16, 2 * len(adjacency_high))
    up_head = np.empty(capacity, dtype=np.int32)
    up_first_out = np.zeros(node_count + 1, dtype=np.int32)
    parent = np.full(node_count, -1, dtype=np.int32)
    first_child = np.full(node_count, -1, dtype=np.int32)
    next_sibling = np.full(node_count, -1, dtype=np.int32)
    stamp = np.full(node_count, -1, dtype=np.int32)
    scratch = np.empty(node_count, dtype=np.int32)
    size = 0
    for v in range(node_count):
        found = 0
        for k in range(adjacency_first[v], adjacency_first[v + 1]):
            w = adjacency_high[k]
            if stamp[w] != v:
                stamp[w] = v
                scratch[found] = w
                found += 1
        child = first_child[v]
        while child != -1:
            for k in range(up_first_out[child], up_first_out[child + 1]):
                w = up_head[k]
                if w != v and stamp[w] != v:
                    stamp[w] = v
                    scratch[found] = w
                    found += 1
            child = next_sibling[child]
        neighbours = np.sort(scratch[:found])
        if size + found > capacity:
            capacity = max(2 * capacity, size + found)
            grown = np.empty(capacity, dtype=np.int32)
            grown[:size] = up_head[:size]
            up_head = grown
        up_head[size : size + found] = neighbours
        size += found
        up_first_out[v + 1] = size
        if found > 0:
            p = neighbours[0]
            parent[v] = p
            next_sibling[v] = first_child[p]
            first_child[p] = v
    return up_first_out, up_head[:size].copy(), parent


@numba.njit(cache=True)
def _enumerate_triangles(
    up_first_out: IntArray,
    up_head: IntArray,
    triangle_first: IntArray,
    low_tail: IntArray,
    low_head: IntArray,
    fill: bool,
) -> None:
    # For lower node z with upper neighbours x < y, the arcs (z,x),(z,y) form a lower
    # triangle of arc (x,y); (x,y) exists because the graph is chordal.
    node_count = len(up_first_out) - 1
    cursor = triangle_first[:-1].copy()
    for z in range(node_count):
        begin = up_first_out[z]
        end = up_first_out[z + 1]
        for i in range(begin, end):
            x = up_head[i]
            pointer = up_first_out[x]
            for j in range(i + 1, end):
                y = up_head[j]
                while up_head[pointer] != y:
                    pointer += 1
                if fill:
                    slot = cursor[pointer]
                    low_tail[slot] = i
                    low_head[slot] = j
                    cursor[pointer] = slot + 1
                else:
                    triangle_first[pointer + 1] += 1


def _lower_triangles(
    up_first_out: IntArray, up_head: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    arc_count = len(up_head)
    counts = np.zeros(arc_count + 1, dtype=np.int32)
    empty = np.zeros(0, dtype=np.int32)
    _enumerate_triangles(up_first_out, up_head, counts, empty, empty, False)
    triangle_first = np.cumsum(counts).astype(np.int32)
    total = int(triangle_first[-1])
    low_tail = np.empty(total, dtype=np.int32)
    low_head = np.empty(total, dtype=np.int32)
    _enumerate_triangles(up_first_out, up_head, triangle_first, low_tail, low_head, True)
    return triangle_first, low_tail, low_head


def _upper_lists(
    arc_count: int, triangle_first: IntArray, low_tail: IntArray, low_head: IntArray
) -> tuple[IntArray, IntArray]:
    top = np.repeat(np.arange(arc_count, dtype=np.int32), np.diff(triangle_first))
    lower = np.concatenate([low_tail, low_head])
    tops = np.concatenate([top, top])
    by_lower = np.lexsort((tops, lower))
    upper_first = np.searchsorted(lower[by_lower], np.arange(arc_count + 1)).astype(np.int32)
    return upper_first, tops[by_lower].astype(np.int32)


def _find_arcs(
    up_first_out: IntArray, up_head: IntArray, low: IntArray, high: IntArray
) -> IntArray:
    """CCH arc joining each (low, high) rank pair (binary search in the low node's row)."""
    result = np.full(len(low), -1, dtype=np.int32)
    _find_arcs_kernel(up_first_out, up_head, low, high, result)
    return result


@numba.njit(cache=True)
def _find_arcs_kernel(
    up_first_out: IntArray, up_head: IntArray, low: IntArray, high: IntArray, result: IntArray
) -> None:
    for a in range(len(low)):
        if low[a] == high[a]:
            continue
        begin = up_first_out[low[a]]
        end = up_first_out[low[a] + 1]
        k = begin + np.searchsorted(up_head[begin:end], high[a])
        if k < end and up_head[k] == high[a]:
            result[a] = k
