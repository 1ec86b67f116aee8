"""Thresholded connected components: the simple, explainable baseline.

Keep fused edges whose weight is at least ``min_weight`` and call every connected component a
group. This is what the OSoMe framework, CooRTweet and CooRnet do after their edge filter. It
is easy to explain ("these accounts are linked by chains of significant co-actions") but one
bridging pair merges two operations, which is why Leiden (:mod:`.leiden`) is the default.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["component_membership"]


def component_membership(
    n_nodes: int,
    src: Sequence[int] | np.ndarray,
    dst: Sequence[int] | np.ndarray,
    weights: Sequence[float] | np.ndarray,
    *,
    min_weight: float = 0.0,
) -> list[int]:
    """Connected-component label per node over the edges with ``weight >= min_weight``."""
    s = np.asarray(src, dtype=np.int64)
    d = np.asarray(dst, dtype=np.int64)
    w = np.asarray(weights, dtype=float)
    keep = w >= min_weight
    s, d = s[keep], d[keep]
    m = coo_matrix((np.ones(len(s)), (s, d)), shape=(n_nodes, n_nodes))
    _, labels = connected_components(m, directed=False)
    return labels.tolist()
