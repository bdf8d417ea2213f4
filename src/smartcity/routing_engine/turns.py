"""Turn restrictions by node splitting, so a node-based CCH stays exact.

Every arc that starts a restriction at its head gets its own copy of the via node;
the copy has only the exits allowed after that arc. Arcs without a restriction keep
entering the original node, which has every exit. Copies get ids ``n, n+1, ...``
so original node ids stay valid in the expanded graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class Restrictions:
    """Via-node turn restrictions; ``only`` means every other exit from ``from_arc`` is banned."""

    from_arc: IntArray
    via_node: IntArray
    to_arc: IntArray
    only: npt.NDArray[np.bool_]
    access: npt.NDArray[np.uint8]

    @staticmethod
    def empty() -> Restrictions:
        none = np.zeros(0, dtype=np.int32)
        return Restrictions(
            none, none, none, np.zeros(0, dtype=np.bool_), np.zeros(0, dtype=np.uint8)
        )


@dataclass(frozen=True, slots=True)
class ExpandedGraph:
    """Arc list after access filtering and via-node splitting, with maps back to the input."""

    node_count: int
    tail: IntArray
    head: IntArray
    arc_origin: IntArray  # expanded arc -> input arc
    node_origin: IntArray  # expanded node -> input node (identity for the first n)
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]


def expand_turns(
    node_count: int,
    tail: IntArray,
    head: IntArray,
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    restrictions: Restrictions,
    arc_access: npt.NDArray[np.uint8] | None = None,
    access_mask: int = 0xFF,
) -> ExpandedGraph:
    """Keep the arcs usable by ``access_mask`` and split restricted via nodes.

    Restrictions that do not apply to ``access_mask``, or whose arcs do not meet at
    ``via_node``, are ignored.
    """
    tail = np.asarray(tail, dtype=np.int32)
    head = np.asarray(head, dtype=np.int32)
    arc_count = len(tail)
    if arc_access is None:
        usable = np.ones(arc_count, dtype=np.bool_)
    else:
        usable = (np.asarray(arc_access) & access_mask) != 0

    # banned[(from_arc)] = set of exit arcs not allowed after from_arc
    banned: dict[int, set[int]] = {}
    only_exit: dict[int, set[int]] = {}
    for from_arc, via, to_arc, is_only, access in zip(
        restrictions.from_arc.tolist(),
        restrictions.via_node.tolist(),
        restrictions.to_arc.tolist(),
        restrictions.only.tolist(),
        restrictions.access.tolist(),
        strict=True,
    ):
        if not access & access_mask:
            continue
        if not (0 <= from_arc < arc_count and 0 <= to_arc < arc_count):
            continue
        if head[from_arc] != via or tail[to_arc] != via or not usable[from_arc]:
            continue
        if is_only:
            only_exit.setdefault(from_arc, set()).add(to_arc)
        else:
            banned.setdefault(from_arc, set()).add(to_arc)

    restricted_arcs = sorted(set(banned) | set(only_exit))
    copy_count = len(restricted_arcs)
    node_origin = np.concatenate(
        [np.arange(node_count, dtype=np.int32), head[restricted_arcs].astype(np.int32)]
    )
    copy_of_arc = {arc: node_count + i for i, arc in enumerate(restricted_arcs)}

    # Where each usable input arc ends in the expanded graph.
    arc_end = head.copy()
    for arc, copy in copy_of_arc.items():
        arc_end[arc] = copy

    usable_ids = np.flatnonzero(usable).astype(np.int32)
    out_tail = [tail[usable_ids]]
    out_head = [arc_end[usable_ids]]
    out_origin = [usable_ids]

    order = np.argsort(tail[usable_ids], kind="stable")
    sorted_ids = usable_ids[order]
    first = np.searchsorted(tail[sorted_ids], np.arange(node_count + 1))
    for arc in restricted_arcs:
        via = int(head[arc])
        exits = sorted_ids[first[via] : first[via + 1]]
        allowed = exits[np.isin(exits, list(only_exit[arc]))] if arc in only_exit else exits
        if arc in banned:
            allowed = allowed[~np.isin(allowed, list(banned[arc]))]
        out_tail.append(np.full(len(allowed), copy_of_arc[arc], dtype=np.int32))
        out_head.append(arc_end[allowed])
        out_origin.append(allowed.astype(np.int32))

    expanded_nodes = node_count + copy_count
    return ExpandedGraph(
        node_count=expanded_nodes,
        tail=np.concatenate(out_tail).astype(np.int32),
        head=np.concatenate(out_head).astype(np.int32),
        arc_origin=np.concatenate(out_origin).astype(np.int32),
        node_origin=node_origin,
        lon=np.asarray(lon, dtype=np.float64)[node_origin],
        lat=np.asarray(lat, dtype=np.float64)[node_origin],
    )
