"""Metric-independent nested-dissection order from coordinates (inertial bisection).

Each level projects the nodes on a few directions, picks the split with the fewest
cut edges within a balance window, and turns the cut into a minimum vertex separator
(König's theorem on the bipartite cut graph). Separators get the highest ranks, so
the CCH built from this order has few shortcuts on road-like (near-planar) graphs.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import (
    breadth_first_order,
    connected_components,
    maximum_bipartite_matching,
    maximum_flow,
)

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]

_DIRECTIONS = np.deg2rad(np.array([0.0, 45.0, 90.0, 135.0]))
_FLOW_MIN_NODES = 256  # below this a straight cut is nearly as good and far cheaper
_FLOW_TERMINAL_SHARE = 0.25  # inertial flow: this share at each end is source / sink
_BALANCE = 0.3  # each side keeps at least this share of the nodes


def undirected_edges(node_count: int, tail: IntArray, head: IntArray) -> tuple[IntArray, IntArray]:
    """Unique undirected edges (u < v) without self-loops."""
    low = np.minimum(tail, head).astype(np.int64)
    high = np.maximum(tail, head).astype(np.int64)
    keep = low != high
    keys = np.unique(low[keep] * node_count + high[keep])
    return (keys // node_count).astype(np.int32), (keys % node_count).astype(np.int32)


def nested_dissection_order(
    node_count: int,
    tail: IntArray,
    head: IntArray,
    lon: FloatArray,
    lat: FloatArray,
    leaf_size: int = 8,
) -> IntArray:
    """Return ``order`` with ``order[rank] = node``; the graph is taken as undirected."""
    edge_u, edge_v = undirected_edges(node_count, tail, head)
    mean_lat = float(np.mean(lat)) if node_count else 0.0
    x = np.asarray(lon, dtype=np.float64) * np.cos(np.deg2rad(mean_lat))
    y = np.asarray(lat, dtype=np.float64)
    local_id = np.full(node_count, -1, dtype=np.int64)
    parts: list[IntArray] = []
    _dissect(
        np.arange(node_count, dtype=np.int32), edge_u, edge_v, x, y, local_id, leaf_size, parts
    )
    order = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    assert len(order) == node_count
    return order.astype(np.int32)


def _dissect(
    nodes: IntArray,
    edge_u: IntArray,
    edge_v: IntArray,
    x: FloatArray,
    y: FloatArray,
    local_id: npt.NDArray[np.int64],
    leaf_size: int,
    parts: list[IntArray],
) -> None:
    """Append the order of ``nodes`` (lowest rank first) to ``parts``."""
    count = len(nodes)
    if count <= leaf_size:
        parts.append(nodes)
        return
    local_id[nodes] = np.arange(count)
    lu = local_id[edge_u]
    lv = local_id[edge_v]

    adjacency = csr_matrix((np.ones(len(lu), dtype=np.int8), (lu, lv)), shape=(count, count))
    component_count, labels = connected_components(adjacency, directed=False)
    if component_count > 1:
        # Independent parts need no separator; order each one on its own.
        edge_label = labels[lu]
        by_label = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[by_label], np.arange(component_count + 1))
        edge_order = np.argsort(edge_label, kind="stable")
        edge_bounds = np.searchsorted(edge_label[edge_order], np.arange(component_count + 1))
        for c in range(component_count):
            members = nodes[by_label[bounds[c] : bounds[c + 1]]]
            chosen = edge_order[edge_bounds[c] : edge_bounds[c + 1]]
            _dissect(members, edge_u[chosen], edge_v[chosen], x, y, local_id, leaf_size, parts)
        return

    if count >= _FLOW_MIN_NODES:
        left, in_separator = _inertial_flow_cut(x[nodes], y[nodes], lu, lv)
    else:
        left_mask = _best_bisection(x[nodes], y[nodes], lu, lv)
        in_separator = np.zeros(count, dtype=np.bool_)
        in_separator[_min_vertex_separator(left_mask, lu, lv)] = True
        left = left_mask & ~in_separator
    right = ~left & ~in_separator
    edge_left = left[lu] & left[lv]
    edge_right = right[lu] & right[lv]
    separator = nodes[in_separator]
    left_nodes = nodes[left]
    right_nodes = nodes[right]
    _dissect(left_nodes, edge_u[edge_left], edge_v[edge_left], x, y, local_id, leaf_size, parts)
    _dissect(right_nodes, edge_u[edge_right], edge_v[edge_right], x, y, local_id, leaf_size, parts)
    parts.append(separator)


def _best_bisection(
    x: FloatArray, y: FloatArray, lu: npt.NDArray[np.int64], lv: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """Left side of the balanced split (over all directions) that cuts the fewest edges."""
    count = len(x)
    low_k = max(1, int(count * _BALANCE))
    high_k = min(count - 1, int(np.ceil(count * (1 - _BALANCE))))
    best: tuple[int, float, npt.NDArray[np.int64], int] | None = None
    for angle in _DIRECTIONS:
        projection = x * np.cos(angle) + y * np.sin(angle)
        by_position = np.argsort(projection, kind="stable")
        position = np.empty(count, dtype=np.int64)
        position[by_position] = np.arange(count)
        pu = position[lu]
        pv = position[lv]
        lo = np.minimum(pu, pv)
        hi = np.maximum(pu, pv)
        # An edge is cut by "left = positions < k" exactly when lo < k <= hi.
        delta = np.zeros(count + 1, dtype=np.int64)
        np.add.at(delta, lo + 1, 1)
        np.add.at(delta, hi + 1, -1)
        cut = np.cumsum(delta)
        window = cut[low_k : high_k + 1]
        k = low_k + int(
            np.argmin(window + np.abs(np.arange(low_k, high_k + 1) - count / 2) / count)
        )
        score = (int(cut[k]), abs(k - count / 2))
        if best is None or score < (best[0], best[1]):
            best = (score[0], score[1], by_position, k)
    assert best is not None
    left_mask = np.zeros(count, dtype=np.bool_)
    left_mask[best[2][: best[3]]] = True
    return left_mask


def _min_vertex_separator(
    left_mask: npt.NDArray[np.bool_], lu: npt.NDArray[np.int64], lv: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Minimum vertex cover of the cut edges (König), as local node ids."""
    crossing = left_mask[lu] != left_mask[lv]
    if not np.any(crossing):
        return np.zeros(0, dtype=np.int64)
    a = np.where(left_mask[lu[crossing]], lu[crossing], lv[crossing])
    b = np.where(left_mask[lu[crossing]], lv[crossing], lu[crossing])
    left_ids, a_idx = np.unique(a, return_inverse=True)
    right_ids, b_idx = np.unique(b, return_inverse=True)
    bipartite = coo_matrix(
        (np.ones(len(a_idx), dtype=np.int8), (a_idx, b_idx)),
        shape=(len(left_ids), len(right_ids)),
    ).tocsr()
    match_of_left = maximum_bipartite_matching(bipartite, perm_type="column")
    match_of_right = np.full(len(right_ids), -1, dtype=np.int64)
    matched = match_of_left >= 0
    match_of_right[match_of_left[matched]] = np.flatnonzero(matched)

    # Alternating search from unmatched left vertices; cover = (L not reached) + (R reached).
    reached_left = ~matched
    reached_right = np.zeros(len(right_ids), dtype=np.bool_)
    frontier: list[int] = np.flatnonzero(reached_left).tolist()
    indptr, indices = bipartite.indptr, bipartite.indices
    while frontier:
        next_frontier: list[int] = []
        for left in frontier:
            for right in indices[indptr[left] : indptr[left + 1]]:
                if reached_right[right]:
                    continue
                reached_right[right] = True
                partner = match_of_right[right]
                if partner >= 0 and not reached_left[partner]:
                    reached_left[partner] = True
                    next_frontier.append(int(partner))
        frontier = next_frontier
    cover = np.concatenate([left_ids[~reached_left], right_ids[reached_right]])
    return cover.astype(np.int64)


def _inertial_flow_cut(
    x: FloatArray, y: FloatArray, lu: npt.NDArray[np.int64], lv: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """(left side, separator) of the smallest vertex cut over a few projection directions.

    Inertial flow: the first/last quarter of the nodes along a direction are tied to a
    super source/sink and a unit-capacity vertex min cut between them is the separator.
    Unlike a straight line, the cut can follow gaps in the network.
    """
    count = len(x)
    terminals = max(1, int(count * _FLOW_TERMINAL_SHARE))
    big = count + 1
    source = 2 * count
    sink = 2 * count + 1
    # Node v is split into v_in = v and v_out = count + v joined by a unit arc.
    base_rows = np.concatenate([np.arange(count), count + lu, count + lv])
    base_cols = np.concatenate([count + np.arange(count), lv, lu])
    base_caps = np.concatenate(
        [np.ones(count, dtype=np.int32), np.full(2 * len(lu), big, dtype=np.int32)]
    )
    best: tuple[int, npt.NDArray[np.bool_], npt.NDArray[np.bool_]] | None = None
    for angle in _DIRECTIONS:
        by_position = np.argsort(x * np.cos(angle) + y * np.sin(angle), kind="stable")
        sources = by_position[:terminals]
        sinks = by_position[-terminals:]
        rows = np.concatenate([base_rows, np.full(terminals, source), count + sinks])
        cols = np.concatenate([base_cols, sources, np.full(terminals, sink)])
        caps = np.concatenate([base_caps, np.full(2 * terminals, big, dtype=np.int32)])
        capacity = csr_matrix((caps, (rows, cols)), shape=(2 * count + 2, 2 * count + 2))
        flow = maximum_flow(capacity, source, sink, method="dinic")
        if best is not None and flow.flow_value >= best[0]:
            continue
        residual = (capacity - flow.flow).tocsr()
        residual.data[residual.data < 0] = 0
        residual.eliminate_zeros()
        reached = np.zeros(2 * count + 2, dtype=np.bool_)
        reached[breadth_first_order(residual, source, directed=True, return_predecessors=False)] = (
            True
        )
        separator = reached[:count] & ~reached[count : 2 * count]
        left = reached[:count] & ~separator
        best = (int(flow.flow_value), left, separator)
    assert best is not None
    return best[1], best[2]
