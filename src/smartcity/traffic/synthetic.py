"""Vehicle traces with known truth on a road graph: routed trips driven at varying speeds,
sampled every 10–30 s with GPS noise and gaps.  Used by the benchmark, the tests and the
traffic simulator.  Pure compute (numpy, scipy)."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from smartcity.core.clock import to_local
from smartcity.roads.index import to_local_metres
from smartcity.routing_engine.graph import CAR, RoadGraph

_M_PER_DEG_LON, _M_PER_DEG_LAT = (float(v[0]) for v in to_local_metres(np.ones(1), np.ones(1)))

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Traces:
    trace_start: IntArray  # CSR by trace
    t: FloatArray  # seconds since the start of the simulation
    lon: FloatArray  # observed (noisy)
    lat: FloatArray
    speed_kmh: FloatArray  # true speed at the sample
    true_arc: IntArray
    true_segment: IntArray
    true_lon: FloatArray
    true_lat: FloatArray

    @property
    def point_count(self) -> int:
        return len(self.t)


def arc_polyline_m(graph: RoadGraph, arc: int) -> FloatArray:
    coords = graph.arc_geometry(arc)
    return np.column_stack((coords[:, 0] * _M_PER_DEG_LON, coords[:, 1] * _M_PER_DEG_LAT))


def _arc_lookup(graph: RoadGraph, usable: npt.NDArray[np.bool_]) -> dict[tuple[int, int], int]:
    best: dict[tuple[int, int], int] = {}
    for arc in np.flatnonzero(usable).tolist():
        key = (int(graph.tail[arc]), int(graph.head[arc]))
        if key not in best or graph.arc_length_m[arc] < graph.arc_length_m[best[key]]:
            best[key] = arc
    return best


def random_routes(
    graph: RoadGraph,
    count: int,
    rng: np.random.Generator,
    *,
    min_length_m: float = 2000.0,
    max_length_m: float = 8000.0,
    access_mask: int = CAR,
) -> list[list[int]]:
    """``count`` shortest-distance routes (lists of arcs) between random nodes."""
    usable = (graph.arc_access & access_mask) != 0
    arcs = np.flatnonzero(usable)
    matrix = csr_matrix(
        (graph.arc_length_m[arcs].astype(np.float64), (graph.tail[arcs], graph.head[arcs])),
        shape=(graph.node_count, graph.node_count),
    )
    lookup = _arc_lookup(graph, usable)
    nodes_with_arcs = np.unique(graph.tail[arcs])
    routes: list[list[int]] = []
    attempts = 0
    while len(routes) < count and attempts < count * 20:
        attempts += 1
        source = int(rng.choice(nodes_with_arcs))
        dist, pred = dijkstra(matrix, indices=source, return_predecessors=True, limit=max_length_m)
        reachable = np.flatnonzero((dist >= min_length_m) & np.isfinite(dist))
        if len(reachable) == 0:
            continue
        target = int(rng.choice(reachable))
        path_nodes = [target]
        while path_nodes[-1] != source:
            path_nodes.append(int(pred[path_nodes[-1]]))
        path_nodes.reverse()
        routes.append([lookup[(u, v)] for u, v in itertools.pairwise(path_nodes)])
    return routes


def drive(
    graph: RoadGraph,
    routes: list[list[int]],
    rng: np.random.Generator,
    *,
    interval_s: tuple[float, float] = (10.0, 30.0),
    noise_m: float = 20.0,
    gap_probability: float = 0.05,
    speed_factor: FloatArray | None = None,
    start_s: FloatArray | None = None,
) -> Traces:
    """Drive each route and sample it.  Speed on an arc = its free-flow speed (max speed,
    else 30 km/h) × ``speed_factor[segment]`` (default random 0.3–0.9), so congestion can be
    simulated per segment.  ``noise_m`` is the per-axis standard deviation of GPS error."""
    trace_start = [0]
    cols: dict[str, list[float]] = {k: [] for k in ("t", "tx", "ty", "v", "arc")}
    for number, route in enumerate(routes):
        clock = float(start_s[number]) if start_s is not None else 0.0
        next_sample = clock
        for arc in route:
            line = arc_polyline_m(graph, arc)
            pieces = np.hypot(*np.diff(line, axis=0).T)
            cumulative = np.concatenate(([0.0], np.cumsum(pieces)))
            length = float(cumulative[-1])
            free_kmh = float(graph.arc_maxspeed_kmh[arc]) or 30.0
            segment = int(graph.arc_segment[arc])
            factor = (
                float(speed_factor[segment])
                if speed_factor is not None
                else float(rng.uniform(0.3, 0.9))
            )
            speed = max(free_kmh * factor, 1.0) / 3.6
            arc_end = clock + length / speed
            while next_sample <= arc_end:
                along = (next_sample - clock) * speed
                px = float(np.interp(along, cumulative, line[:, 0]))
                py = float(np.interp(along, cumulative, line[:, 1]))
                if rng.random() >= gap_probability:
                    cols["t"].append(next_sample)
                    cols["tx"].append(px)
                    cols["ty"].append(py)
                    cols["v"].append(speed * 3.6)
                    cols["arc"].append(float(arc))
                next_sample += float(rng.uniform(*interval_s))
            clock = arc_end
        trace_start.append(len(cols["t"]))
    tx = np.asarray(cols["tx"], dtype=np.float64)
    ty = np.asarray(cols["ty"], dtype=np.float64)
    x = tx + rng.normal(0.0, noise_m, len(tx))
    y = ty + rng.normal(0.0, noise_m, len(ty))
    true_arc = np.asarray(cols["arc"], dtype=np.int64)
    return Traces(
        trace_start=np.asarray(trace_start, dtype=np.int64),
        t=np.asarray(cols["t"], dtype=np.float64),
        lon=x / _M_PER_DEG_LON,
        lat=y / _M_PER_DEG_LAT,
        speed_kmh=np.asarray(cols["v"], dtype=np.float64),
        true_arc=true_arc,
        true_segment=graph.arc_segment[true_arc].astype(np.int64),
        true_lon=tx / _M_PER_DEG_LON,
        true_lat=ty / _M_PER_DEG_LAT,
    )


def camera_picture(name: str, moment: datetime, busy: float, rng: np.random.Generator) -> bytes:
    """A JPEG standing in for a camera's snapshot in the demo: a road with as many vehicles as
    ``busy`` (0 empty … 1 jammed) asks for, the camera's name and time, and a banner saying
    it is simulated (nobody should take it for a real picture)."""
    width, height = 480, 270
    picture = Image.new("RGB", (width, height), (118, 140, 156))
    draw = ImageDraw.Draw(picture)
    draw.polygon([(0, height), (width, height), (300, 95), (180, 95)], fill=(64, 66, 70))
    for k in range(6):  # dashed centre line, nearer = longer
        y0 = 100 + k * 30
        draw.line([(240, y0), (240, y0 + 12 + 2 * k)], fill=(230, 230, 220), width=2)
    colours = [(200, 40, 40), (240, 240, 240), (30, 30, 30), (40, 90, 180), (230, 180, 30)]
    count = int(3 + 25 * min(max(busy, 0.0), 1.0))
    for depth in np.sort(rng.uniform(0.0, 1.0, count)).tolist():  # 0 far … 1 near, far first
        y = 100 + depth * 160
        half_road = 60 + depth * 180
        x = 240 + float(rng.uniform(-0.9, 0.9)) * half_road
        size = 6 + depth * 26
        colour = colours[int(rng.integers(len(colours)))]
        draw.rectangle([x - size, y - size * 0.6, x + size, y + size * 0.6], fill=colour)
    font = _font(18)
    draw.rectangle([0, 0, width, 30], fill=(11, 95, 115))
    draw.text((8, 5), "ẢNH MÔ PHỎNG · SIMULATED", font=font, fill=(255, 255, 255))
    draw.rectangle([0, height - 28, width, height], fill=(0, 0, 0))
    caption = f"{to_local(moment):%H:%M:%S}  {name}"[:48]
    draw.text((8, height - 25), caption, font=_font(16), fill=(255, 255, 255))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", size)
    except OSError:  # no DejaVu on this machine: Pillow's own font (no diacritics)
        return ImageFont.load_default()
