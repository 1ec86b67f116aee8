"""Leiden community detection on the fused network (igraph + leidenalg), seeded and deterministic.

Why CPM (the Constant Potts Model) and not modularity (RBConfiguration):

* Modularity has a resolution limit (Fortunato & Barthelemy, PNAS 2007): in a large network it
  merges small, perfectly dense groups when they touch, because its null model scales with the
  total edge weight. An operation of 15 sock puppets in a case of 50,000 accounts is exactly
  such a small dense group.
* CPM's quality is ``sum_c (w_c - gamma * n_c (n_c - 1) / 2)``: a set of accounts is worth
  keeping together when its internal edge weight exceeds ``gamma`` per possible pair. So the
  ``resolution`` has a meaning that does not depend on the size of the case -- *the minimum
  internal density of a group* -- and the same value works on 5,000 and on 500,000 accounts.

Edge weights for CPM are the fused weights divided by ``cap`` (one layer at full evidence)
and clipped to 1, so density is measured in "fully evidenced pairs". Weakly significant pairs
count partially; a group of accounts linked only by weak evidence must be denser to form.

Determinism: vertices are the sorted account ids and edges are sorted, ``seed`` fixes the
random tie-breaking, and ``n_iterations=-1`` iterates until no improvement, so repeated runs
(and runs on shuffled inputs) give the same partition.

Two engines run the same algorithm (Traag, Waltman & van Eck 2019): ``"igraph"`` (default),
igraph's C implementation ``Graph.community_leiden``, contributed by the author of
leidenalg; and ``"leidenalg"``, the reference package. On a fused network of 50,000 accounts
and 500,000 edges the C implementation took 10 s where leidenalg took 106 s (2 iterations, same
machine), so the default is igraph; leidenalg stays available to cross-check. igraph draws
from Python's ``random`` module: the seed is applied through a private ``random.Random`` that is
swapped in for the call and swapped back afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["leiden_membership"]


def leiden_membership(
    n_nodes: int,
    src: Sequence[int] | np.ndarray,
    dst: Sequence[int] | np.ndarray,
    weights: Sequence[float] | np.ndarray,
    *,
    resolution: float,
    seed: int,
    method: str = "cpm",
    engine: str = "igraph",
) -> list[int]:
    """Community label per node (0..n_nodes-1), from Leiden on an undirected weighted graph.

    ``method`` is ``"cpm"`` (default, see module docstring) or ``"modularity"``
    (RBConfiguration with ``resolution`` as its gamma).
    """
    import random

    import igraph as ig

    g = ig.Graph(n=n_nodes, edges=list(zip(np.asarray(src).tolist(), np.asarray(dst).tolist())), directed=False)
    w = np.asarray(weights, dtype=float).tolist()
    if method not in ("cpm", "modularity"):  # validated by the caller; kept as a guard
        raise ValueError(f"unknown Leiden method {method!r}")
    if engine == "igraph":
        ig.set_random_number_generator(random.Random(int(seed)))
        try:
            # for "modularity" igraph takes node weights = weighted degrees: RBConfiguration
            objective = "CPM" if method == "cpm" else "modularity"
            part = g.community_leiden(objective_function=objective, weights=w, resolution=float(resolution), n_iterations=-1)
        finally:
            ig.set_random_number_generator(random)
        return list(part.membership)
    import leidenalg

    if method == "cpm":
        part_type = leidenalg.CPMVertexPartition
    else:
        part_type = leidenalg.RBConfigurationVertexPartition
    partition = leidenalg.find_partition(
        g,
        part_type,
        weights=w if w else None,
        resolution_parameter=float(resolution),
        seed=int(seed),
        n_iterations=-1,
    )
    return list(partition.membership)
