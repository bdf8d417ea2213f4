"""HMM map matching (Newson & Krumm 2009) of sparse, noisy GPS traces onto road arcs.

Pure compute (numpy, shapely, numba): no database, no web.  Candidates come from the
segments' STRtree in local metres (the K nearest segments within a radius, each giving one
candidate per direction a vehicle may drive it).  Emission: Gaussian in the GPS distance.
Transition: Laplace in |route distance - straight-line distance|, the route distance from a
bounded Dijkstra on the arc graph run in numba from each candidate arc's head.  Viterbi runs
in the same numba loop, over many traces at once; a trace whose consecutive points cannot be
joined by any plausible route is split and matched as two pieces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt
import shapely

from smartcity.routing_engine.graph import RoadGraph

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class MatchParams:
    #: GPS noise standard deviation (m) of the emission model.
    sigma_m: float = 20.0
    #: Scale (m) of the transition model's |route - straight line| difference.
    beta_m: float = 60.0
    #: Candidates are segments within this distance of the point (m).
    radius_m: float = 70.0
    #: At most this many nearest segments per point.
    max_candidates: int = 6
    #: Fastest plausible speed between two points (m/s); slower routes only.
    max_speed_ms: float = 40.0


@dataclass(frozen=True)
class MatchNetwork:
    """The arrays the matcher needs, derived once per network version."""

    graph: RoadGraph
    local_lines: npt.NDArray[np.object_]
    tree: shapely.STRtree
    line_length_m: FloatArray  # length of each local line (projection metres)
    arc_length_m: FloatArray
    segment_forward_arc: IntArray  # -1 when the segment cannot be driven that way
    segment_backward_arc: IntArray

    @classmethod
    def build(
        cls,
        graph: RoadGraph,
        local_lines: npt.NDArray[np.object_],
        tree: shapely.STRtree,
        access_mask: int = 0xFF,
    ) -> MatchNetwork:
        forward = np.full(graph.segment_count, -1, dtype=np.int64)
        backward = np.full(graph.segment_count, -1, dtype=np.int64)
        usable = (graph.arc_access & access_mask) != 0
        arcs = np.flatnonzero(usable)
        fwd = arcs[graph.arc_forward[arcs]]
        bwd = arcs[~graph.arc_forward[arcs]]
        forward[graph.arc_segment[fwd]] = fwd
        backward[graph.arc_segment[bwd]] = bwd
        return cls(
            graph=graph,
            local_lines=local_lines,
            tree=tree,
            line_length_m=shapely.length(local_lines).astype(np.float64),
            arc_length_m=np.maximum(graph.arc_length_m.astype(np.float64), 0.1),
            segment_forward_arc=forward,
            segment_backward_arc=backward,
        )


@dataclass(frozen=True)
class Candidates:
    """Candidate arcs per point, CSR by point: ``start[p]:start[p+1]``."""

    start: IntArray
    arc: IntArray
    offset_m: FloatArray  # from the arc's tail
    distance_m: FloatArray  # GPS point to the arc


@dataclass(frozen=True)
class MatchResult:
    """Per point: the chosen arc (-1: not matched) and where on it; per point also the
    route distance from the previous matched point of the same piece (NaN at a piece's
    first point)."""

    arc: IntArray
    offset_m: FloatArray
    route_m: FloatArray
    segment: IntArray


def find_candidates(
    network: MatchNetwork, x: FloatArray, y: FloatArray, params: MatchParams
) -> Candidates:
    """The K nearest segments within the radius of each point, as directed arc candidates."""
    n = len(x)
    points = shapely.points(x, y)
    point_idx, seg_idx = network.tree.query(points, predicate="dwithin", distance=params.radius_m)
    lines = network.local_lines[seg_idx]
    distance = shapely.distance(lines, points[point_idx])
    order = np.lexsort((distance, point_idx))
    point_idx, seg_idx, distance = point_idx[order], seg_idx[order], distance[order]
    lines = lines[order]
    counts = np.bincount(point_idx, minlength=n)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.arange(len(point_idx)) - first[point_idx]
    keep = rank < params.max_candidates
    point_idx, seg_idx, distance = point_idx[keep], seg_idx[keep], distance[keep]
    along = shapely.line_locate_point(lines[keep], points[point_idx])
    fraction = np.clip(along / np.maximum(network.line_length_m[seg_idx], 1e-6), 0.0, 1.0)
    fwd = network.segment_forward_arc[seg_idx]
    bwd = network.segment_backward_arc[seg_idx]
    arcs = np.concatenate((fwd, bwd))
    owners = np.concatenate((point_idx, point_idx))
    fractions = np.concatenate((fraction, 1.0 - fraction))
    distances = np.concatenate((distance, distance))
    ok = arcs >= 0
    arcs, owners, fractions, distances = arcs[ok], owners[ok], fractions[ok], distances[ok]
    order = np.argsort(owners, kind="stable")
    arcs, owners = arcs[order], owners[order]
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owners, minlength=n), out=start[1:])
    return Candidates(
        start=start,
        arc=arcs.astype(np.int64),
        offset_m=(fractions[order] * network.arc_length_m[arcs]).astype(np.float64),
        distance_m=distances[order].astype(np.float64),
    )


def match(
    network: MatchNetwork,
    trace_start: IntArray,
    t: FloatArray,
    x: FloatArray,
    y: FloatArray,
    params: MatchParams | None = None,
) -> MatchResult:
    """Match many traces at once: points of trace ``i`` are ``trace_start[i]:trace_start[i+1]``,
    in time order, ``t`` in seconds, ``x``/``y`` in local metres."""
    params = params or MatchParams()
    candidates = find_candidates(network, x, y, params)
    graph = network.graph
    chosen, route = _viterbi(
        np.asarray(trace_start, dtype=np.int64),
        np.asarray(t, dtype=np.float64),
        np.asarray(x, dtype=np.float64),
        np.asarray(y, dtype=np.float64),
        candidates.start,
        candidates.arc,
        candidates.offset_m,
        candidates.distance_m,
        graph.first_out.astype(np.int64),
        graph.head.astype(np.int64),
        graph.tail.astype(np.int64),
        network.arc_length_m,
        graph.node_count,
        params.sigma_m,
        params.beta_m,
        params.max_speed_ms,
    )
    matched = chosen >= 0
    arc = np.where(matched, candidates.arc[np.maximum(chosen, 0)], -1)
    offset = np.where(matched, candidates.offset_m[np.maximum(chosen, 0)], np.nan)
    segment = np.where(matched, graph.arc_segment[np.maximum(arc, 0)], -1)
    return MatchResult(
        arc=arc.astype(np.int64),
        offset_m=offset,
        route_m=route,
        segment=segment.astype(np.int64),
    )


# --- numba kernels ---------------------------------------------------------------------

_NEG_INF = -1e300


@numba.njit(cache=True)
def _heap_push(keys: FloatArray, nodes: IntArray, size: int, key: float, node: int) -> int:
    i = size
    keys[i] = key
    nodes[i] = node
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= keys[i]:
            break
        keys[parent], keys[i] = keys[i], keys[parent]
        nodes[parent], nodes[i] = nodes[i], nodes[parent]
        i = parent
    return size + 1


@numba.njit(cache=True)
def _heap_pop(keys: FloatArray, nodes: IntArray, size: int) -> int:
    size -= 1
    keys[0] = keys[size]
    nodes[0] = nodes[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        smallest = left
        if left + 1 < size and keys[left + 1] < keys[left]:
            smallest = left + 1
        if keys[i] <= keys[smallest]:
            break
        keys[smallest], keys[i] = keys[i], keys[smallest]
        nodes[smallest], nodes[i] = nodes[i], nodes[smallest]
        i = smallest
    return size


@numba.njit(cache=True)
def _dijkstra(
    source: int,
    limit: float,
    first_out: IntArray,
    head: IntArray,
    arc_length: FloatArray,
    dist: FloatArray,
    touched: IntArray,
    heap_keys: FloatArray,
    heap_nodes: IntArray,
) -> int:
    """Distances from ``source`` up to ``limit`` into ``dist``; returns how many nodes it
    touched (their ids in ``touched``; the caller resets them to inf)."""
    n_touched = 0
    dist[source] = 0.0
    touched[n_touched] = source
    n_touched += 1
    size = _heap_push(heap_keys, heap_nodes, 0, 0.0, source)
    while size > 0:
        d = heap_keys[0]
        u = heap_nodes[0]
        size = _heap_pop(heap_keys, heap_nodes, size)
        if d > dist[u]:
            continue
        for a in range(first_out[u], first_out[u + 1]):
            v = head[a]
            nd = d + arc_length[a]
            if nd <= limit and nd < dist[v]:
                if dist[v] == np.inf:
                    if n_touched >= len(touched):
                        return n_touched
                    touched[n_touched] = v
                    n_touched += 1
                dist[v] = nd
                if size < len(heap_keys):
                    size = _heap_push(heap_keys, heap_nodes, size, nd, v)
    return n_touched


@numba.njit(cache=True)
def _viterbi(
    trace_start: IntArray,
    t: FloatArray,
    x: FloatArray,
    y: FloatArray,
    cand_start: IntArray,
    cand_arc: IntArray,
    cand_offset: FloatArray,
    cand_dist: FloatArray,
    first_out: IntArray,
    head: IntArray,
    tail: IntArray,
    arc_length: FloatArray,
    node_count: int,
    sigma: float,
    beta: float,
    max_speed: float,
) -> tuple[IntArray, FloatArray]:
    n_points = len(t)
    chosen = np.full(n_points, -1, dtype=np.int64)
    route_out = np.full(n_points, np.nan)
    n_cand = len(cand_arc)
    score = np.full(n_cand, _NEG_INF)
    back = np.full(n_cand, -1, dtype=np.int64)
    back_route = np.full(n_cand, np.nan)
    dist = np.full(node_count, np.inf)
    touched = np.empty(20000, dtype=np.int64)
    heap_keys = np.empty(200000)
    heap_nodes = np.empty(200000, dtype=np.int64)
    inv_two_sigma2 = 0.5 / (sigma * sigma)

    for trace in range(len(trace_start) - 1):
        p0 = trace_start[trace]
        p1 = trace_start[trace + 1]
        prev = -1  # previous point with candidates in the current piece
        piece_first = -1
        p = p0
        while p <= p1:
            finish = p == p1
            if not finish and cand_start[p] == cand_start[p + 1]:
                p += 1  # no road near this point: skip it
                continue
            joined = False
            if not finish and prev >= 0:
                dx = x[p] - x[prev]
                dy = y[p] - y[prev]
                straight = np.sqrt(dx * dx + dy * dy)
                dt = max(t[p] - t[prev], 1.0)
                limit = min(1.6 * straight + 6.0 * beta + 2.0 * sigma, max_speed * dt + 2.0 * sigma)
                for j in range(cand_start[p], cand_start[p + 1]):
                    score[j] = _NEG_INF
                for i in range(cand_start[prev], cand_start[prev + 1]):
                    if score[i] <= _NEG_INF:
                        continue
                    ai = cand_arc[i]
                    # same arc, moving forward (a little backwards = GPS noise)
                    for j in range(cand_start[p], cand_start[p + 1]):
                        if cand_arc[j] == ai and cand_offset[j] >= cand_offset[i] - 2.0 * sigma:
                            r = max(cand_offset[j] - cand_offset[i], 0.0)
                            s = score[i] - abs(r - straight) / beta
                            if s > score[j]:
                                score[j] = s
                                back[j] = i
                                back_route[j] = r
                    rest = arc_length[ai] - cand_offset[i]
                    budget = limit - rest
                    if budget < 0.0:
                        continue
                    count = _dijkstra(
                        head[ai], budget, first_out, head, arc_length,
                        dist, touched, heap_keys, heap_nodes,
                    )  # fmt: skip
                    for j in range(cand_start[p], cand_start[p + 1]):
                        aj = cand_arc[j]
                        d = dist[tail[aj]]
                        if d == np.inf or aj == ai:
                            continue
                        r = rest + d + cand_offset[j]
                        if r > limit:
                            continue
                        s = score[i] - abs(r - straight) / beta
                        if s > score[j]:
                            score[j] = s
                            back[j] = i
                            back_route[j] = r
                    for k in range(count):
                        dist[touched[k]] = np.inf
                best = _NEG_INF
                for j in range(cand_start[p], cand_start[p + 1]):
                    if score[j] > _NEG_INF:
                        score[j] -= cand_dist[j] * cand_dist[j] * inv_two_sigma2
                        if score[j] > best:
                            best = score[j]
                if best > _NEG_INF:
                    joined = True
                    # keep numbers small: normalise by the best score
                    for j in range(cand_start[p], cand_start[p + 1]):
                        if score[j] > _NEG_INF:
                            score[j] -= best
            if not joined and prev >= 0:
                # close the current piece: backtrack from its best last candidate
                best = _NEG_INF
                arg = -1
                for i in range(cand_start[prev], cand_start[prev + 1]):
                    if score[i] > best:
                        best = score[i]
                        arg = i
                q = prev
                c = arg
                while q >= piece_first and c >= 0:
                    chosen[q] = c
                    route_out[q] = back_route[c]
                    c = back[c]
                    q -= 1
                    while (
                        q >= piece_first and c >= 0 and not (cand_start[q] <= c < cand_start[q + 1])
                    ):
                        q -= 1
                prev = -1
            if finish:
                break
            if not joined:
                # start a new piece at p
                piece_first = p
                for j in range(cand_start[p], cand_start[p + 1]):
                    score[j] = -cand_dist[j] * cand_dist[j] * inv_two_sigma2
                    back[j] = -1
                    back_route[j] = np.nan
            prev = p
            p += 1
    return chosen, route_out
