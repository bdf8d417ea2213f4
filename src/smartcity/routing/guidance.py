"""From a list of arc pieces to a line, turn-by-turn steps and notices (Vietnamese msgids)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.ops import substring

from smartcity.core.i18n import N_, gettext
from smartcity.routing.schemas import Step
from smartcity.routing_engine.graph import RoadGraph

UNNAMED = N_("đường không tên")

INSTRUCTIONS: dict[str, str] = {
    "depart": N_("Xuất phát trên {street}"),
    "turn_left": N_("Rẽ trái vào {street}"),
    "turn_right": N_("Rẽ phải vào {street}"),
    "slight_left": N_("Chếch sang trái vào {street}"),
    "slight_right": N_("Chếch sang phải vào {street}"),
    "straight": N_("Đi thẳng vào {street}"),
    "u_turn": N_("Quay đầu vào {street}"),
    "arrive": N_("Đến nơi"),
}


@dataclass(frozen=True, slots=True)
class Piece:
    """Part of an arc, as fractions of its length in travel direction."""

    arc: int
    start: float
    end: float

    @property
    def share(self) -> float:
        return max(self.end - self.start, 0.0)


def pieces_cost_ms(pieces: list[Piece], weights: npt.NDArray[np.int64]) -> float:
    return float(sum(float(weights[p.arc]) * p.share for p in pieces))


def pieces_length_m(pieces: list[Piece], graph: RoadGraph) -> float:
    return float(sum(float(graph.arc_length_m[p.arc]) * p.share for p in pieces))


def piece_coords(graph: RoadGraph, piece: Piece) -> npt.NDArray[np.float64]:
    coords = graph.arc_geometry(piece.arc)
    if piece.start <= 0.0 and piece.end >= 1.0:
        return coords
    part = substring(shapely.LineString(coords), piece.start, piece.end, normalized=True)
    result = np.asarray(part.coords, dtype=np.float64).reshape(-1, 2)
    if len(result) == 1:
        result = np.vstack([result, result])
    return result


def path_coords(graph: RoadGraph, pieces: list[Piece]) -> list[tuple[float, float]]:
    parts = [piece_coords(graph, p) for p in pieces]
    if not parts:
        return []
    coords = np.vstack(parts)
    keep = np.ones(len(coords), dtype=np.bool_)
    keep[1:] = np.any(coords[1:] != coords[:-1], axis=1)
    rounded = np.round(coords[keep], 6)
    if len(rounded) == 1:
        rounded = np.vstack([rounded, rounded])
    return [(float(x), float(y)) for x, y in rounded]


def bearing(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    """Compass bearing from a to b in degrees (equirectangular: fine within a city)."""
    dx = (b[0] - a[0]) * math.cos(math.radians((a[1] + b[1]) / 2))
    dy = b[1] - a[1]
    return math.degrees(math.atan2(dx, dy)) % 360


def maneuver(turn_degrees: float) -> str:
    """Positive = clockwise (right)."""
    size = abs(turn_degrees)
    if size < 20:
        return "straight"
    if size < 45:
        return "slight_right" if turn_degrees > 0 else "slight_left"
    if size < 150:
        return "turn_right" if turn_degrees > 0 else "turn_left"
    return "u_turn"


def street_of(graph: RoadGraph, arc: int) -> str:
    segment = int(graph.arc_segment[arc])
    return graph.segment_name[segment] or graph.segment_ref[segment]


def _end_bearing(coords: npt.NDArray[np.float64], at_end: bool) -> float | None:
    if len(coords) < 2:
        return None
    if at_end:
        for k in range(len(coords) - 1, 0, -1):
            if np.any(coords[k] != coords[k - 1]):
                return bearing(coords[k - 1], coords[k])
    else:
        for k in range(1, len(coords)):
            if np.any(coords[k] != coords[k - 1]):
                return bearing(coords[k - 1], coords[k])
    return None


def build_steps(
    graph: RoadGraph,
    pieces: list[Piece],
    weights: npt.NDArray[np.int64],
    language: str,
) -> list[Step]:
    """One step per stretch of the same street, plus the arrival."""
    steps: list[Step] = []
    groups: list[list[Piece]] = []
    names: list[str] = []
    for piece in pieces:
        if piece.share <= 0 and groups:
            continue
        name = street_of(graph, piece.arc)
        if groups and names[-1] == name:
            groups[-1].append(piece)
        else:
            groups.append([piece])
            names.append(name)
    previous_coords: npt.NDArray[np.float64] | None = None
    for group, name in zip(groups, names, strict=True):
        coords = piece_coords(graph, group[0])
        kind = "depart"
        if previous_coords is not None:
            incoming = _end_bearing(previous_coords, at_end=True)
            outgoing = _end_bearing(coords, at_end=False)
            turn = 0.0 if incoming is None or outgoing is None else outgoing - incoming
            kind = maneuver((turn + 540) % 360 - 180)
        street = name or gettext(UNNAMED, language)
        steps.append(
            Step(
                instruction=gettext(INSTRUCTIONS[kind], language, street=street),
                street=name,
                maneuver=kind,
                distance_m=round(pieces_length_m(group, graph), 1),
                duration_s=round(pieces_cost_ms(group, weights) / 1000, 1),
                location=(round(float(coords[0][0]), 6), round(float(coords[0][1]), 6)),
            )
        )
        previous_coords = piece_coords(graph, group[-1])
    if pieces:
        end = piece_coords(graph, pieces[-1])[-1]
        steps.append(
            Step(
                instruction=gettext(INSTRUCTIONS["arrive"], language),
                street=names[-1] if names else "",
                maneuver="arrive",
                distance_m=0.0,
                duration_s=0.0,
                location=(round(float(end[0]), 6), round(float(end[1]), 6)),
            )
        )
    return steps
