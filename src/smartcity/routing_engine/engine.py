"""Engine facade for one vehicle profile: build once, customise per weight set, route.

All ids at this level are the caller's: input node ids and input arc ids. Turn
restrictions are compiled in by node splitting (see :mod:`turns`), so a route may
start at ``node_after_arc(a)`` — the node you reach by arc ``a`` with that arc's turn
restrictions still in force — which is how a GPS point snapped onto an arc departs.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from smartcity.routing_engine.cch import CCH, build_cch
from smartcity.routing_engine.customize import INF_WEIGHT, Metric
from smartcity.routing_engine.order import nested_dissection_order
from smartcity.routing_engine.query import CCHQuery
from smartcity.routing_engine.turns import ExpandedGraph, Restrictions, expand_turns

IntArray = npt.NDArray[np.int32]
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Route:
    cost_ms: int
    arcs: npt.NDArray[np.int64]  # input arc ids in travel order
    source_node: int  # input node id the route leaves from
    target_node: int


@dataclass(slots=True)
class BuildTimings:
    expand_s: float = 0.0
    order_s: float = 0.0
    contract_s: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)


class Engine:
    """Metric-independent structure plus one live metric and a reusable query."""

    def __init__(self, input_arc_count: int, expanded: ExpandedGraph, cch: CCH) -> None:
        self.input_arc_count = input_arc_count
        self.expanded = expanded
        self.cch = cch
        self.timings = BuildTimings()
        input_node_count = int(
            np.count_nonzero(expanded.node_origin == np.arange(len(expanded.node_origin)))
        )
        self.input_node_count = input_node_count
        # Targets must accept arrival at any copy of a split node.
        copy_origin = expanded.node_origin[input_node_count:]
        copies = input_node_count + np.argsort(copy_origin, kind="stable")
        self._copy_first = np.searchsorted(
            expanded.node_origin[copies], np.arange(input_node_count + 1)
        )
        self._copies = copies
        # input arc -> its expanded arcs (a restricted exit appears once per copy)
        by_origin = np.argsort(expanded.arc_origin, kind="stable")
        self._expanded_of_input = by_origin
        self._expanded_first = np.searchsorted(
            expanded.arc_origin[by_origin], np.arange(input_arc_count + 1)
        )
        self._arc_end = self._compute_arc_end()
        self.input_weight_ms = np.full(input_arc_count, INF_WEIGHT, dtype=np.int64)
        self.metric = Metric(cch, np.full(len(expanded.tail), 2**32 - 1, dtype=np.int64))
        self.query = CCHQuery(self.metric)

    @classmethod
    def build(
        cls,
        node_count: int,
        tail: npt.ArrayLike,
        head: npt.ArrayLike,
        lon: npt.ArrayLike,
        lat: npt.ArrayLike,
        restrictions: Restrictions | None = None,
        arc_access: npt.ArrayLike | None = None,
        access_mask: int = 0xFF,
    ) -> Engine:
        """Preprocess one profile: arcs whose ``arc_access & access_mask`` is 0 are dropped."""
        started = time.perf_counter()
        tail_array = np.asarray(tail, dtype=np.int32)
        expanded = expand_turns(
            node_count,
            tail_array,
            np.asarray(head, dtype=np.int32),
            np.asarray(lon, dtype=np.float64),
            np.asarray(lat, dtype=np.float64),
            restrictions if restrictions is not None else Restrictions.empty(),
            None if arc_access is None else np.asarray(arc_access, dtype=np.uint8),
            access_mask,
        )
        expanded_at = time.perf_counter()
        order = nested_dissection_order(
            expanded.node_count, expanded.tail, expanded.head, expanded.lon, expanded.lat
        )
        ordered_at = time.perf_counter()
        cch = build_cch(expanded.node_count, expanded.tail, expanded.head, order)
        built_at = time.perf_counter()
        engine = cls(len(tail_array), expanded, cch)
        engine.timings = BuildTimings(
            expand_s=expanded_at - started,
            order_s=ordered_at - expanded_at,
            contract_s=built_at - ordered_at,
        )
        return engine

    def customize(self, weight_ms: npt.ArrayLike) -> None:
        """Full customisation; ``weight_ms`` per input arc, >= 2**32 - 1 or inf = closed."""
        weights = np.asarray(weight_ms)
        if weights.shape != (self.input_arc_count,):
            raise ValueError(f"expected {self.input_arc_count} weights, got {weights.shape}")
        self.metric.set_weights(weights[self.expanded.arc_origin])
        self.input_weight_ms = weights.copy()

    def update(self, arc_ids: npt.ArrayLike, new_weight_ms: npt.ArrayLike) -> int:
        """Partial customisation after changing some input arcs; returns CCH arcs recomputed."""
        arcs = np.asarray(arc_ids, dtype=np.int64).ravel()
        weights = np.broadcast_to(np.asarray(new_weight_ms), arcs.shape)
        self.input_weight_ms[arcs] = weights
        starts = self._expanded_first[arcs]
        counts = self._expanded_first[arcs + 1] - starts
        index = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        expanded_arcs = self._expanded_of_input[index]
        expanded_weights = np.repeat(weights, counts)
        return self.metric.update(expanded_arcs, expanded_weights)

    def fork(self) -> Engine:
        """A copy sharing the structure with its own metric (per-request avoid areas, variants)."""
        clone = copy.copy(self)
        clone.metric = self.metric.copy()
        clone.query = CCHQuery(clone.metric)
        clone.input_weight_ms = self.input_weight_ms.copy()
        return clone

    def node_after_arc(self, arc_id: int) -> int:
        """Node id to use as a source after travelling ``arc_id`` (keeps its turn bans)."""
        return int(self._arc_end[arc_id])

    def route(self, sources: list[tuple[int, int]], targets: list[tuple[int, int]]) -> Route | None:
        """Cheapest route from any (node, offset_ms) source to any target, or None."""
        expanded_targets = [
            (copy, offset) for node, offset in targets for copy in self._arrival_nodes(node)
        ]
        result = self.query.run(sources, expanded_targets)
        if result is None:
            return None
        origin = self.expanded.node_origin
        return Route(
            cost_ms=result.cost_ms,
            arcs=self.expanded.arc_origin[result.arcs].astype(np.int64),
            source_node=int(origin[result.source_node]),
            target_node=int(origin[result.target_node]),
        )

    def save(self, path: str | Path) -> None:
        """Write the metric-independent structure (no weights) as one .npz."""
        arrays: dict[str, npt.NDArray[np.generic]] = self.cch.to_arrays()
        e = self.expanded
        arrays |= {
            "format_version": np.array(FORMAT_VERSION),
            "input_arc_count": np.array(self.input_arc_count),
            "expanded_tail": e.tail,
            "expanded_head": e.head,
            "expanded_arc_origin": e.arc_origin,
            "expanded_node_origin": e.node_origin,
            "expanded_lon": e.lon,
            "expanded_lat": e.lat,
        }
        np.savez(Path(path), **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: str | Path) -> Engine:
        with np.load(Path(path)) as data:
            arrays = {key: data[key] for key in data.files}
        if int(arrays["format_version"]) != FORMAT_VERSION:
            raise ValueError(f"unsupported engine format {int(arrays['format_version'])}")
        expanded = ExpandedGraph(
            node_count=len(arrays["expanded_node_origin"]),
            tail=arrays["expanded_tail"],
            head=arrays["expanded_head"],
            arc_origin=arrays["expanded_arc_origin"],
            node_origin=arrays["expanded_node_origin"],
            lon=arrays["expanded_lon"],
            lat=arrays["expanded_lat"],
        )
        return cls(int(arrays["input_arc_count"]), expanded, CCH.from_arrays(arrays))

    def _arrival_nodes(self, node: int) -> list[int]:
        copies = self._copies[self._copy_first[node] : self._copy_first[node + 1]]
        return [node, *copies.tolist()]

    def _compute_arc_end(self) -> IntArray:
        # Usable arcs keep their expanded head; dropped arcs end at their (unknown) head,
        # which callers never route from, so -1 marks them.
        arc_end = np.full(self.input_arc_count, -1, dtype=np.int32)
        first_copy = self._expanded_first[:-1]
        has_copy = self._expanded_first[1:] > first_copy
        # The first expanded copy of an input arc is the one leaving its real tail.
        arc_end[has_copy] = self.expanded.head[self._expanded_of_input[first_copy[has_copy]]]
        return arc_end
