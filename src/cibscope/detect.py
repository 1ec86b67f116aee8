"""`detect`: traces -> per-layer networks -> multiplex -> groups -> scores, and the exports.

>>> result = detect("case.duckdb", out="out/")          # doctest: +SKIP
>>> result.n_flagged, result.outputs["accounts"]          # doctest: +SKIP

Parameters are one flat mapping of dotted names, validated with :mod:`cibscope.params`:

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
``score.saturation``        10        per-layer mean evidence at which a term reaches 1 - 1/e
``score.group_weight``      1         weight of the group-level term
``score.min_group_strength`` 0.5      group strength needed to flag its members
``score.affinity_weight``   1         weight of the group_affinity term
``score.threshold``         0.5       minimum score of a flagged account
``score.min_partners``      2         minimum fellow members a flagged account is linked to
``TRACE.PARAM``             (trace)   passed to the trace builder, e.g. ``co_retweet.window``
=========================== ========= ==========================================================

Shorthands: ``alpha`` = ``multiplex.alpha``, ``resolution`` = ``groups.resolution``,
``seed`` = ``groups.seed``, ``threshold`` = ``score.threshold``; ``window`` is passed to the
trace builder as is (every windowed trace).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from .case import Case, open_case
from .errors import CaseStateError, ParameterError
from .evidence.score import ScoreParams, ScoreResult, compute_scores, write_scores
from .export import out_dir, write_detection_outputs
from .groups import GroupParams, describe_groups, find_groups, write_groups
from .networks.multiplex import DEFAULT_LAYER_WEIGHTS, FusedNetwork, MultiplexParams, describe, fuse_layers
from .progress import Progress, step

__all__ = ["DetectConfig", "DetectResult", "detect", "parse_params", "export_outputs", "rescore", "SHORTHANDS"]

SHORTHANDS = {
    "alpha": "multiplex.alpha",
    "resolution": "groups.resolution",
    "seed": "groups.seed",
    "threshold": "score.threshold",
}
_MINE = ("multiplex", "groups", "score")


@dataclass
class DetectConfig:
    """Parsed detect parameters: ours, plus what goes to the trace builder."""

    multiplex: MultiplexParams = field(default_factory=MultiplexParams)
    groups: GroupParams = field(default_factory=GroupParams)
    score: ScoreParams = field(default_factory=ScoreParams)
    networks: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        self.multiplex.validate()
        self.groups.validate()
        self.score.validate()

    def as_json(self) -> dict[str, Any]:
        return {
            "multiplex": {**{k: v for k, v in asdict(self.multiplex).items() if k != "layer_weights"},
                          "layer_weights": dict(self.multiplex.layer_weights)},
            "groups": asdict(self.groups),
            "score": asdict(self.score),
            "networks": self.networks,
        }


def parse_params(params: Mapping[str, Any] | None) -> DetectConfig:
    """Split a flat ``{"groups.resolution": 0.1, "co_retweet.window": 30}`` mapping.

    Unknown names of our own sections raise :class:`ParameterError`; ``TRACE.PARAM`` names and
    ``window`` go to the network builder untouched (it validates them). Values are validated
    here for our sections.
    """
    mp: dict[str, Any] = {}
    gp: dict[str, Any] = {}
    sp: dict[str, Any] = {}
    weights = dict(DEFAULT_LAYER_WEIGHTS)
    networks: dict[str, Any] = {}
    for raw, value in (params or {}).items():
        name = SHORTHANDS.get(raw, raw)
        section, _, rest = name.partition(".")
        if section == "multiplex" and rest.startswith("weight."):
            weights[rest[len("weight."):]] = value
            continue
        if section in _MINE:
            target, cls = {"multiplex": (mp, MultiplexParams), "groups": (gp, GroupParams), "score": (sp, ScoreParams)}[section]
            known = [f for f in cls.__dataclass_fields__ if f != "layer_weights"]
            if rest not in known:
                raise ParameterError(
                    f"Unknown parameter {name!r}. Parameters of {section}: {', '.join(section + '.' + k for k in known)}."
                )
            target[rest] = value
            continue
        networks[name] = value
    cfg = DetectConfig(
        multiplex=MultiplexParams(**mp, layer_weights=weights),
        groups=GroupParams(**gp),
        score=ScoreParams(**sp),
        networks=networks,
    )
    cfg.validate()
    return cfg


@dataclass
class DetectResult:
    case_path: str
    n_accounts: int
    n_edges: int
    n_significant: int
    n_groups: int
    n_flagged: int
    stats: dict[str, Any]
    params: dict[str, Any]
    outputs: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0


def _jsonable(obj: Any) -> Any:
    if is_dataclass(obj) and not isinstance(obj, type):
        return _jsonable(asdict(obj))
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    if hasattr(obj, "__dict__"):
        return _jsonable(vars(obj))
    return str(obj)


def network_params(flat: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"co_retweet.window": 30, "window": 60}`` -> the builder's ``{"co_retweet": {"window": 30}, ...}``.

    A bare name (``window``, ``alpha``-free builder names such as ``min_shared``) applies to every
    trace that has that parameter; a dotted ``TRACE.PARAM`` to that trace only and wins over the
    bare one. Unknown trace names are left for the builder to reject with its own message.
    """
    from .traces import get_trace, trace_names

    nested: dict[str, dict[str, Any]] = {}
    bare = {k: v for k, v in flat.items() if "." not in k}
    for name in trace_names():
        cons = get_trace(name).parameter_constraints()
        for k, v in bare.items():
            if k in cons:
                nested.setdefault(name, {})[k] = v
    unused = [k for k in bare if not any(k in d for d in nested.values())]
    if unused:
        raise ParameterError(f"Unknown parameter(s): {', '.join(sorted(unused))}. See docs/detection.md for the names.")
    for k, v in flat.items():
        if "." in k:
            trace, _, param = k.partition(".")
            nested.setdefault(trace, {})[param] = v
    return nested


def _build_networks(
    case: Case, networks: dict[str, Any], progress: Progress | None, traces: list[str] | None = None, keep: tuple[str, ...] = ()
) -> Any:
    """Call the shared co-occurrence builder (cibscope.networks.build_networks)."""
    from .networks import build_networks

    nested = network_params(networks)
    if traces is not None:
        nested = {k: v for k, v in nested.items() if k in traces}
        # the builder replaces only the layers it builds: drop the others so the case holds one run
        for table in ("edges", "evidence", "post_keys"):
            case.con.execute(f"DELETE FROM {table}")
    return build_networks(case.con, traces=traces, params=nested or None, progress=progress, keep=keep)


def _n_tests(networks: Any) -> dict[str, int]:
    """Pairs tested per layer, from the builder's stats (``pairs_considered``)."""
    if not isinstance(networks, dict):
        return {}
    return {k: int(v.get("pairs_considered", 0)) for k, v in networks.get("layers", {}).items() if isinstance(v, dict)}


def _building_run(case: Case) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(params, stats) of the run that built the stored edges (the latest with builder stats)."""
    for params, stats in case.con.execute("SELECT params, stats FROM detect_runs ORDER BY run_at DESC").fetchall():
        st = json.loads(stats)
        if "networks" in st:
            return json.loads(params), st
    return None


def _last_n_tests(case: Case) -> dict[str, int]:
    """Pairs tested per layer by the run that built the stored edges (its builder stats)."""
    run = _building_run(case)
    return _n_tests(run[1]["networks"]) if run else {}


def built_network_params(case: Case) -> dict[str, Any]:
    """The trace parameters (flat, as ``DetectConfig.networks``) the stored edges were built with.

    Re-scoring stored edges must use them: the group-membership test reads the same traces'
    actions and windows as the builder did. ``{}`` (the defaults) when no recorded run built them.
    """
    run = _building_run(case)
    return dict(run[0].get("networks", {})) if run else {}


def rescore(case: Case, cfg: DetectConfig, *, exclude_layers: tuple[str, ...] = ()) -> ScoreResult:
    """Fuse -> groups -> scores on the stored edges, writing nothing (the ablation's re-score)."""
    net = fuse_layers(case.con, cfg.multiplex, exclude_layers=exclude_layers, n_tests=_last_n_tests(case))
    membership = find_groups(net, cfg.groups, cap=cfg.multiplex.cap)
    return compute_scores(
        case.con, net, membership, cfg.score, with_evidence_counts=False, cap=cfg.multiplex.cap,
        trace_params=network_params(built_network_params(case)),
    )


def detect(
    case: str | os.PathLike[str] | Case,
    *,
    params: Mapping[str, Any] | None = None,
    out: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    build: bool = True,
    traces: list[str] | None = None,
) -> DetectResult:
    """Run detection on a case and write ``edges``/``evidence`` (via the builder), ``groups``,
    ``group_members``, ``scores``, ``score_contributions`` and a ``detect_runs`` row.

    ``build=False`` reuses the edges and evidence already in the case (re-grouping and
    re-scoring with other parameters takes seconds), with the trace parameters they were built
    with (giving trace parameters then is a ParameterError). ``traces`` builds only the named layers
    (default: every registered trace) and drops the others' stored edges. With ``out``, also writes
    ``accounts.csv``, ``groups.csv``, ``edges.parquet`` and ``network.gexf`` there.
    """
    t0 = time.perf_counter()
    cfg = parse_params(params)
    if out is not None:
        out_dir(out)  # a bad --out fails now, not after the detection
    from .evidence.membership import TRACE_LAYERS as MEMBERSHIP_LAYERS
    from .networks import drop_kept_traces

    owns = not isinstance(case, Case)
    c = open_case(case, create=False) if not isinstance(case, Case) else case
    try:
        c.require_full_read("detect")
        if c.count("posts") == 0 and c.count("edges") == 0:
            raise CaseStateError(f"{c.path}: the case has no posts", hint="ingest data first: cibscope ingest DATA --case FILE")
        timings: dict[str, float] = {}
        stats: dict[str, Any] = {}
        if build:
            t = time.perf_counter()
            # the group-membership test reads these layers' trace rows: the builder keeps them
            keep = MEMBERSHIP_LAYERS if cfg.score.membership_weight > 0 else ()
            net_stats = _build_networks(c, cfg.networks, progress, traces, keep=keep)
            stats["networks"] = _jsonable(net_stats.to_dict() if hasattr(net_stats, "to_dict") else net_stats)
            layers = stats["networks"].get("layers", {}) if isinstance(stats["networks"], dict) else {}
            stats["hot_keys"] = {
                "bounded_action_pairs": sum(int(v.get("bounded_action_pairs", 0)) for v in layers.values()),
                "bounded_keys": sum(int(v.get("bounded_keys", 0)) for v in layers.values()),
            }
            timings["networks"] = time.perf_counter() - t
        else:
            if c.count("edges") == 0:
                raise CaseStateError(f"{c.path}: no edges to reuse", hint="run detect without --reuse-edges first")
            if cfg.networks:
                raise ParameterError(
                    f"trace parameters ({', '.join(sorted(cfg.networks))}) only apply when the edges are built; "
                    "reusing the stored edges keeps the parameters they were built with"
                )
            # the run is recorded with (and scores use) the parameters the stored edges were built with
            cfg.networks = built_network_params(c)
        n_tests = _n_tests(stats.get("networks")) if build else _last_n_tests(c)
        t = time.perf_counter()
        with step(progress, "fusing layers into the multiplex network"):
            net = fuse_layers(c.con, cfg.multiplex, n_tests=n_tests)
        timings["multiplex"] = time.perf_counter() - t
        t = time.perf_counter()
        with step(progress, f"finding groups ({cfg.groups.method}, resolution {cfg.groups.resolution:g})"):
            membership = find_groups(net, cfg.groups, cap=cfg.multiplex.cap)
            groups = describe_groups(c.con, net, membership, top_items=cfg.groups.top_items)
        timings["groups"] = time.perf_counter() - t
        t = time.perf_counter()
        with step(progress, "scoring accounts"):
            result = compute_scores(
                c.con, net, membership, cfg.score, cap=cfg.multiplex.cap, trace_params=network_params(cfg.networks)
            )
        drop_kept_traces(c.con)
        timings["scores"] = time.perf_counter() - t
        c.con.execute("BEGIN TRANSACTION")
        try:
            write_groups(c.con, groups)
            write_scores(c.con, result)
            n_flagged = sum(result.scores.column("flagged").to_pylist())
            stats.update(describe(net))
            stats.update(
                {
                    "accounts_scored": result.scores.num_rows,
                    "groups": len(groups),
                    "accounts_in_groups": len(membership),
                    "flagged": int(n_flagged),
                    "seconds": {k: round(v, 3) for k, v in timings.items()},
                }
            )
            c.con.execute(
                "INSERT INTO detect_runs VALUES (?, ?, ?)",
                [datetime.now(timezone.utc).replace(tzinfo=None), json.dumps(cfg.as_json(), sort_keys=True), json.dumps(stats, sort_keys=True, default=str)],
            )
            c.con.execute("COMMIT")
        except BaseException:
            c.con.execute("ROLLBACK")
            raise
        res = DetectResult(
            case_path=c.path,
            n_accounts=result.scores.num_rows,
            n_edges=c.count("edges"),
            n_significant=net.layer_edges.num_rows,
            n_groups=len(groups),
            n_flagged=int(n_flagged),
            stats=stats,
            params=cfg.as_json(),
        )
        if out is not None:
            with step(progress, "writing exports"):
                res.outputs = export_outputs(c, out, net=net)
        res.seconds = time.perf_counter() - t0
        return res
    finally:
        try:
            drop_kept_traces(c.con)  # after a failure too: the caller's connection must not keep them
        except Exception:  # noqa: BLE001 -- never hide the error that brought us here
            pass
        if owns:
            c.close()


def export_outputs(
    case: Case, out: str | os.PathLike[str], *, net: FusedNetwork | None = None, max_gexf_edges: int = 250_000
) -> dict[str, Path]:
    """Write accounts.csv, groups.csv, edges.parquet and network_layers.gexf into ``out``
    (:func:`cibscope.export.write_detection_outputs`).

    The GEXF holds the significant per-layer edges (one parallel edge per layer, ``kind`` =
    layer) and their endpoints plus every flagged account, so it stays a readable size even
    when ``edges`` holds millions of tested pairs; edges.parquet holds them all. Above
    ``max_gexf_edges`` significant edges, the GEXF keeps edges inside groups first, then the
    strongest (Gephi's layouts do not cope with millions of edges).
    """
    return write_detection_outputs(case, out, net=net, max_gexf_edges=max_gexf_edges)


def _last_params_all(stored: Mapping[str, Any]) -> dict[str, Any]:
    """Flatten a stored ``detect_runs.params`` JSON back into :func:`parse_params` input."""
    flat: dict[str, Any] = {}
    for section in _MINE:
        for k, v in stored.get(section, {}).items():
            if k == "layer_weights":
                flat.update({f"multiplex.weight.{layer}": w for layer, w in v.items()})
            else:
                flat[f"{section}.{k}"] = v
    flat.update(stored.get("networks", {}))
    return flat


def _last_params(case: Case) -> dict[str, Any]:
    row = case.con.execute("SELECT params FROM detect_runs ORDER BY run_at DESC LIMIT 1").fetchone()
    return {} if row is None else _last_params_all(json.loads(row[0]))
