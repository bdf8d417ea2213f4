"""Seeded road-like test graphs (perturbed grids around central HCMC) for tests and benches."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]

_METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True, slots=True)
class SyntheticGraph:
    node_count: int
    tail: IntArray
    head: IntArray
    lon: FloatArray
    lat: FloatArray
    length_m: FloatArray
    travel_time_ms: npt.NDArray[np.int64]


def road_like_grid(
    width: int,
    height: int,
    seed: int = 0,
    removed_share: float = 0.35,
    diagonal_share: float = 0.05,
    oneway_share: float = 0.2,
    spacing_deg: float = 0.0009,
) -> SyntheticGraph:
    """Jittered grid with missing blocks, a few diagonals and one-way streets."""
    rng = np.random.default_rng(seed)
    ids = np.arange(width * height, dtype=np.int64).reshape(height, width)
    jitter = rng.uniform(-0.3, 0.3, size=(2, height, width)) * spacing_deg
    col, row = np.meshgrid(np.arange(width), np.arange(height))
    lon = (106.66 + col * spacing_deg + jitter[0]).ravel()
    lat = (10.74 + row * spacing_deg + jitter[1]).ravel()

    horizontal = np.stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()], axis=1)
    vertical = np.stack([ids[:-1].ravel(), ids[1:].ravel()], axis=1)
    grid = np.concatenate([horizontal, vertical])
    grid = grid[rng.random(len(grid)) >= removed_share]
    diagonal = np.stack([ids[:-1, :-1].ravel(), ids[1:, 1:].ravel()], axis=1)
    diagonal = diagonal[rng.random(len(diagonal)) < diagonal_share]
    edges = np.concatenate([grid, diagonal])
    edges = edges[rng.permutation(len(edges))]

    oneway = rng.random(len(edges)) < oneway_share
    flip = rng.random(len(edges)) < 0.5
    forward_tail = np.where(flip, edges[:, 1], edges[:, 0])
    forward_head = np.where(flip, edges[:, 0], edges[:, 1])
    two_way = ~oneway
    tail = np.concatenate([forward_tail, forward_head[two_way]]).astype(np.int32)
    head = np.concatenate([forward_head, forward_tail[two_way]]).astype(np.int32)

    dx = (lon[head] - lon[tail]) * np.cos(np.deg2rad(lat[tail])) * _METRES_PER_DEGREE
    dy = (lat[head] - lat[tail]) * _METRES_PER_DEGREE
    length_m = np.hypot(dx, dy)
    speed_kmh = np.concatenate([rng.choice([20.0, 30.0, 40.0, 50.0], size=len(edges)), np.zeros(0)])
    speed_kmh = np.concatenate([speed_kmh, speed_kmh[two_way]])
    travel_time_ms = np.maximum(1, np.rint(length_m / (speed_kmh / 3.6) * 1000)).astype(np.int64)
    return SyntheticGraph(
        node_count=width * height,
        tail=tail,
        head=head,
        lon=lon,
        lat=lat,
        length_m=length_m,
        travel_time_ms=travel_time_ms,
    )
