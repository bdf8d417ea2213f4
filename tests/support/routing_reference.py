"""Plain Dijkstra references (node-based and turn-aware) and small graph builders."""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

CLOSED = 2**32 - 1


def dijkstra_costs(
    node_count: int, tail: Sequence[int], head: Sequence[int], weight: Sequence[int], source: int
) -> list[float]:
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(node_count)]
    for t, h, w in zip(tail, head, weight, strict=True):
        if w < CLOSED:
            adjacency[t].append((h, int(w)))
    dist = [float("inf")] * node_count
    dist[source] = 0
    heap = [(0, source)]
    while heap:
        d, v = heapq.heappop(heap)
        if d > dist[v]:
            continue
        for w_node, w in adjacency[v]:
            if d + w < dist[w_node]:
                dist[w_node] = d + w
                heapq.heappush(heap, (d + w, w_node))
    return dist


def turn_aware_cost(
    node_count: int,
    tail: Sequence[int],
    head: Sequence[int],
    weight: Sequence[int],
    banned_turns: set[tuple[int, int]],
    source: int,
    target: int,
) -> float:
    """Arc-based Dijkstra: state = arc just travelled; ``banned_turns`` holds (from, to) arcs."""
    if source == target:
        return 0
    out: list[list[int]] = [[] for _ in range(node_count)]
    for arc, t in enumerate(tail):
        if weight[arc] < CLOSED:
            out[t].append(arc)
    dist: dict[int, int] = {}
    heap = [(int(weight[a]), a) for a in out[source]]
    heapq.heapify(heap)
    while heap:
        d, arc = heapq.heappop(heap)
        if arc in dist:
            continue
        dist[arc] = d
        if head[arc] == target:
            return d
        for nxt in out[head[arc]]:
            if nxt not in dist and (arc, nxt) not in banned_turns:
                heapq.heappush(heap, (d + int(weight[nxt]), nxt))
    return float("inf")


def grid(width: int, height: int) -> tuple[int, npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Two-way grid, node id = row * width + column."""
    ids = np.arange(width * height).reshape(height, width)
    pairs = np.concatenate(
        [
            np.stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()], axis=1),
            np.stack([ids[:-1].ravel(), ids[1:].ravel()], axis=1),
        ]
    )
    tail = np.concatenate([pairs[:, 0], pairs[:, 1]]).astype(np.int32)
    head = np.concatenate([pairs[:, 1], pairs[:, 0]]).astype(np.int32)
    return width * height, tail, head


def grid_coordinates(
    width: int, height: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    ids = np.arange(width * height)
    return 106.7 + (ids % width) * 0.001, 10.78 + (ids // width) * 0.001


def assert_valid_path(
    arcs: npt.NDArray[np.int64],
    tail: npt.NDArray[np.int32],
    head: npt.NDArray[np.int32],
    weight: npt.NDArray[np.int64],
    source: int,
    target: int,
    cost: int,
) -> None:
    if source == target and len(arcs) == 0:
        assert cost == 0
        return
    assert len(arcs) > 0
    assert tail[arcs[0]] == source
    assert head[arcs[-1]] == target
    assert np.all(head[arcs[:-1]] == tail[arcs[1:]])
    assert int(weight[arcs].sum()) == cost
