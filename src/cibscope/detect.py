"""`detect`: traces -> per-layer networks -> multiplex -> groups -> scores, and the exports.

A thin call to the pipeline (:func:`cibscope.pipeline.run`, which owns the order of the stages)
with the parameters as one flat mapping.

>>> result = detect("case.duckdb", out="out/")          # doctest: +SKIP
>>> result.n_flagged, result.outputs["accounts"]          # doctest: +SKIP

Parameters are one flat mapping of dotted names, parsed and validated into a
:class:`~cibscope.pipeline.DetectConfig` (every name and value, the trace parameters too,
before any work):

=========================== ========= ==========================================================
name                        default   meaning
=========================== ========= ==========================================================
``multiplex.alpha``         0.01      per-layer false discovery rate (Benjamini-Hochberg)
``multiplex.correction``    ``bh``    ``bh`` or ``none`` (then alpha is a plain p-value cut)
``multiplex.cap``           20        max evidence per edge and layer, in -log10 p
``multiplex.weight.LAYER``  1 (0.5    multiplier of a layer in the fused weight
                            co_domain)
``groups.method``           leiden    ``leiden`` or ``components``
``groups.leiden_quality``   cpm       ``cpm`` or ``modularity``
``groups.resolution``       0.01      CPM gamma: minimum internal density of a group
``groups.seed``             42        Leiden seed
``groups.min_size``         3         smallest group
``groups.min_weight``       0         fused-weight cut for ``components``
``null.replicates``        2         null copies of the case the groups are compared with
``null.fdr``               0.05      false discovery rate of "coordinated"
``null.seed``              1         seed of the null copies' shifts
``signals.alpha``          0.01      false discovery rate of an inauthenticity trait
``signals.min_lift``       3         trait at least this many times the case's rate ...
``signals.min_share``      1/3       ... in at least this share of the group
``signals.min_signals``    1         traits that make a coordinated group an operation
``score.saturation``        10        per-layer mean evidence at which a term reaches 1 - 1/e
``score.group_weight``      1         weight of the group-level term
``score.signal_weight``     0.5       weight of the inauthenticity term
``score.affinity_weight``   1         weight of the group_affinity term
``score.threshold``         0         optional minimum score of a flagged account
``score.min_partners``      2         minimum fellow members a flagged account is linked to
``TRACE.PARAM``             (trace)   passed to the trace builder, e.g. ``co_retweet.window``
=========================== ========= ==========================================================

Shorthands: ``alpha`` = ``multiplex.alpha``, ``resolution`` = ``groups.resolution``,
``seed`` = ``groups.seed``, ``threshold`` = ``score.threshold``; ``window`` is passed to the
trace builder as is (every windowed trace).
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from .case import Case
from .engine import Engine
from .pipeline import (
    SHORTHANDS,
    DetectConfig,
    PipelineResult,
    built_network_params,
    decide,
    export_outputs,
    network_params,
    rescore,
    run,
)
from .progress import Progress

__all__ = [
    "DetectConfig", "DetectResult", "detect", "parse_params", "export_outputs", "rescore", "decide", "SHORTHANDS",
    "built_network_params", "network_params",
]

#: the result of :func:`detect` (the pipeline's)
DetectResult = PipelineResult


def parse_params(params: Mapping[str, Any] | None) -> DetectConfig:
    """:meth:`DetectConfig.from_params`: a flat ``{"groups.resolution": 0.1, "co_retweet.window": 30}``
    mapping as a validated config (unknown names and bad values raise ParameterError)."""
    return DetectConfig.from_params(params)


def detect(
    case: str | os.PathLike[str] | Case,
    *,
    params: Mapping[str, Any] | None = None,
    out: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    build: bool = True,
    traces: list[str] | None = None,
    engine: Engine | None = None,
) -> DetectResult:
    """Run detection on a case (:func:`cibscope.pipeline.run` with ``params`` parsed): writes
    ``edges``/``evidence`` (via the builder), ``groups``, ``group_members``, ``scores``,
    ``score_contributions`` and a ``detect_runs`` row.

    ``build=False`` reuses the edges and evidence already in the case (re-grouping and
    re-scoring with other parameters takes seconds), with the trace parameters they were built
    with (giving trace parameters then is a ParameterError). ``traces`` builds only the named layers
    (default: every registered trace) and drops the others' stored edges. With ``out``, also writes
    ``accounts.csv``, ``groups.csv``, ``edges.parquet`` and ``network.gexf`` there. ``engine``:
    where the layers are built (default the case's DuckDB; a started Spark engine builds them
    on Spark, the caller closes it).
    """
    return run(case, parse_params(params), engine=engine, out=out, progress=progress, build=build, traces=traces)

