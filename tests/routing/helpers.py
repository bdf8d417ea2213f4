"""Plain Dijkstra on the same turn-expanded graph and weights as the engine (the oracle)."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from smartcity.routing_engine.customize import INF_WEIGHT
from smartcity.routing_engine.engine import Engine


def expanded_matrix(engine: Engine) -> csr_matrix:
    expanded = engine.expanded
    weights = engine.input_weight_ms[expanded.arc_origin]
    usable = np.flatnonzero(weights < INF_WEIGHT)
    tail, head, cost = expanded.tail[usable], expanded.head[usable], weights[usable]
    # csr_matrix sums parallel arcs: keep only the cheapest of each (tail, head).
    order = np.lexsort((cost, head, tail))
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = (tail[order][1:] != tail[order][:-1]) | (head[order][1:] != head[order][:-1])
    chosen = order[keep]
    n = expanded.node_count
    return csr_matrix((cost[chosen].astype(np.float64), (tail[chosen], head[chosen])), shape=(n, n))


def dijkstra_costs(engine: Engine, matrix: csr_matrix, source: int) -> np.ndarray:
    """Cost from input node ``source`` to every input node (arrival at any split copy)."""
    distances = dijkstra(matrix, indices=source)
    origin = engine.expanded.node_origin
    best = np.full(engine.input_node_count, np.inf)
    np.minimum.at(best, origin, distances)
    return best
