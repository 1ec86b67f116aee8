"""The detection pipeline: the one place that knows the order of the stages.

>>> import cibscope
>>> cfg = cibscope.DetectConfig.from_params({"groups.resolution": 0.05, "co_retweet.window": 30})
>>> cfg.groups.resolution, cfg.trace_params()["co_retweet"]["window"]
(0.05, 30)
>>> result = cibscope.run("case.duckdb", cfg, out="out/")        # doctest: +SKIP
>>> result.n_flagged, result.outputs["accounts"]                  # doctest: +SKIP

Stages, in order (each a function of this module; ``run`` calls them)::

    ingest result (a case)      the case tables ingest wrote (cibscope.ingest_files)
    1 networks    build_stage   traces -> per-layer edges, evidence, post keys       [engine]
                                + the KeptTraces artefact (trace rows the later stages read)
    2 multiplex   fuse_stage    significant edges per layer -> fused network          [driver]
    3 groups      group_stage   Leiden / components on the fused network              [driver]
    4 null copies null_stage    the case's null copies: their edges and tests         [driver]
    5 decisions   decide        null groups, calibration, inauthenticity signals,
                                defining items                                        [driver]
    6 scores      compute_scores (cibscope.evidence.score)                            [driver]
    7 write       _write_run    scores, groups, decisions, a detect_runs row (one transaction)
    8 exports     export_outputs  accounts.csv, groups.csv, edges.parquet, GEXF (with ``out``)

``[engine]``: the stage runs on the compute engine given to :func:`run` (default the case's own
DuckDB; a :class:`~cibscope.engine.spark.SparkEngine` builds the layers on Spark and sends the
edges, evidence and post keys back into the case). ``[driver]``: on the case's DuckDB and in
Python (the fused network fits the driver at the sizes cibscope targets; docs/architecture.md
says where it would not).

Artefacts passed between stages are named objects, not tables found by name: the parameters are
one typed, validated :class:`DetectConfig`; the trace rows the null copies, the defining items
and the group-membership test read again are a :class:`KeptTraces` (layer -> kept table and the
parameters it was made with), made by the network stage and dropped at the end of the run, also
after a failure.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa

from .case import Case, open_case
from .engine import Engine
from .errors import CaseStateError, ParameterError
from .evidence.decision import GroupDecision, decide_groups
from .evidence.score import ScoreParams, ScoreResult, compute_scores, write_scores
from .evidence.signals import SignalParams, group_signals, signal_table
from .export import out_dir, write_detection_outputs
from .groups import GroupParams, describe_groups, find_groups, write_groups
from .groups.null import NullParams, calibrate, group_statistics, null_copies, null_groups
from .networks.multiplex import DEFAULT_LAYER_WEIGHTS, FusedNetwork, MultiplexParams, describe, fuse_layers
from .progress import Progress, step

__all__ = [
    "DetectConfig", "PipelineResult", "KeptTraces", "RunInputs", "run", "rescore", "decide", "export_outputs",
    "network_params", "built_network_params", "run_inputs", "layer_network", "SHORTHANDS", "STAGES",
]

#: the stages of :func:`run`, in order (docs/architecture.md draws them)
STAGES = ("networks", "multiplex", "groups", "null", "decisions", "scores", "write", "exports")

SHORTHANDS = {
    "alpha": "multiplex.alpha",
    "resolution": "groups.resolution",
    "seed": "groups.seed",
    "threshold": "score.threshold",
}
_MINE = ("multiplex", "groups", "null", "signals", "score")
_SECTIONS: dict[str, type] = {
    "multiplex": MultiplexParams, "groups": GroupParams, "null": NullParams, "signals": SignalParams, "score": ScoreParams,
}


# -- the config ------------------------------------------------------------------------------
@dataclass
class DetectConfig:
    """Every parameter of a detection run: the sections of the stages, and the trace parameters.

    ``networks`` holds the trace parameters flat, as given (``{"co_retweet.window": 30,
    "window": 60}``; :meth:`trace_params` nests them per trace). Build one with
    :meth:`from_params` (a flat mapping of dotted names, docs/detection.md); :meth:`validate`
    checks every value, the trace parameters included, before any work.
    """

    multiplex: MultiplexParams = field(default_factory=MultiplexParams)
    groups: GroupParams = field(default_factory=GroupParams)
    null: NullParams = field(default_factory=NullParams)
    signals: SignalParams = field(default_factory=SignalParams)
    score: ScoreParams = field(default_factory=ScoreParams)
    networks: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None = None) -> DetectConfig:
        """The config of a flat ``{"groups.resolution": 0.1, "co_retweet.window": 30}`` mapping.

        Names: ``SECTION.FIELD`` of the stages' sections, ``multiplex.weight.LAYER``, the
        shorthands (:data:`SHORTHANDS`), ``TRACE.PARAM`` and a bare trace parameter (``window``,
        ``min_shared``: every trace that has it). Unknown names of any kind (section field,
        layer, trace, trace parameter) and bad values raise :class:`ParameterError`.
        """
        sections: dict[str, dict[str, Any]] = {s: {} for s in _MINE}
        weights = dict(DEFAULT_LAYER_WEIGHTS)
        networks: dict[str, Any] = {}
        for raw, value in (params or {}).items():
            name = SHORTHANDS.get(raw, raw)
            section, _, rest = name.partition(".")
            if section == "multiplex" and rest.startswith("weight."):
                layer = rest[len("weight."):]
                if layer not in _layers():
                    raise ParameterError(f"Unknown parameter {name!r}: no layer {layer!r}. Layers: {', '.join(_layers())}.")
                weights[layer] = value
                continue
            if section in _MINE:
                known = [f for f in _SECTIONS[section].__dataclass_fields__ if f != "layer_weights"]
                if rest not in known:
                    raise ParameterError(
                        f"Unknown parameter {name!r}. Parameters of {section}: {', '.join(section + '.' + k for k in known)}."
                    )
                sections[section][rest] = value
                continue
            networks[name] = value
        cfg = cls(
            multiplex=MultiplexParams(**sections["multiplex"], layer_weights=weights),
            groups=GroupParams(**sections["groups"]),
            null=NullParams(**sections["null"]),
            signals=SignalParams(**sections["signals"]),
            score=ScoreParams(**sections["score"]),
            networks=networks,
        )
        cfg.validate()
        return cfg

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> DetectConfig:
        """The config a ``detect_runs.params`` JSON (:meth:`as_json`) records."""
        return cls.from_params(_flatten_stored(stored))

    def validate(self) -> None:
        """Every section's values, and the trace parameters (names and values)."""
        self.multiplex.validate()
        self.groups.validate()
        self.null.validate()
        self.signals.validate()
        self.score.validate()
        self.traces()

    def trace_params(self) -> dict[str, dict[str, Any]]:
        """The trace parameters nested per trace, as the network builder takes them."""
        return network_params(self.networks)

    def traces(self, names: Iterable[str] | None = None) -> list[Any]:
        """The trace objects (with their parameters) of ``names`` (default: every registered
        trace); a parameter of an unknown trace, or an unknown or bad trace parameter, raises."""
        from .traces import get_trace, trace_names

        nested = self.trace_params()
        unknown = sorted(set(nested) - set(trace_names()))
        if unknown:
            raise ParameterError(f"Unknown trace(s) in the parameters: {', '.join(unknown)}. Traces: {', '.join(trace_names())}.")
        return [get_trace(n)(**nested.get(n, {})) for n in (trace_names() if names is None else names)]

    def as_json(self) -> dict[str, Any]:
        return {
            "multiplex": {**{k: v for k, v in asdict(self.multiplex).items() if k != "layer_weights"},
                          "layer_weights": dict(self.multiplex.layer_weights)},
            "groups": asdict(self.groups),
            "null": asdict(self.null),
            "signals": asdict(self.signals),
            "score": asdict(self.score),
            "networks": self.networks,
        }


def _layers() -> list[str]:
    from .traces import TRACES

    return list(dict.fromkeys(c.layer for c in TRACES.values()))


def _flatten_stored(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A stored ``detect_runs.params`` JSON back into :meth:`DetectConfig.from_params` input."""
    flat: dict[str, Any] = {}
    for section in _MINE:
        for k, v in stored.get(section, {}).items():
            if k == "layer_weights":
                flat.update({f"multiplex.weight.{layer}": w for layer, w in v.items()})
            else:
                flat[f"{section}.{k}"] = v
    flat.update(stored.get("networks", {}))
    return flat


def network_params(flat: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"co_retweet.window": 30, "window": 60}`` -> the builder's ``{"co_retweet": {"window": 30}, ...}``.

    A bare name (``window``, ``min_shared``) applies to every trace that has that parameter
    (none: ParameterError); a dotted ``TRACE.PARAM`` to that trace only and wins over the bare
    one. The trace names are checked by :meth:`DetectConfig.traces`.
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


# -- the artefacts ---------------------------------------------------------------------------
@dataclass
class KeptTraces:
    """The trace rows kept on the case's DuckDB for the stages after the network stage.

    The null copies read every built layer's rows, the defining items and the group-membership
    test those of their layers: the network stage keeps them (``build_networks(keep=...)`` on
    the case's engine; :func:`cibscope.networks.keep_traces` after a build on another engine)
    and :func:`run` hands this object on. ``tables``: layer -> (kept table, the trace's full
    parameters). The tables are temp tables of the case's connection; :meth:`drop` removes
    them (the pipeline does, at the end of the run or after a failure).
    """

    case: Case
    tables: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    @property
    def layers(self) -> list[str]:
        return list(self.tables)

    def table(self, trace: Any) -> str | None:
        """The kept table of ``trace``'s layer when it was made with ``trace``'s parameters."""
        got = self.tables.get(trace.layer)
        return got[0] if got is not None and got[1] == trace.get_params() else None

    def record(self, traces: Iterable[Any]) -> None:
        """Note the tables the network builder kept for ``traces`` (those it made)."""
        from .networks import kept_trace_table

        for t in traces:
            name = kept_trace_table(self.case, t.layer, t.get_params())
            if name is not None:
                self.tables[t.layer] = (name, t.get_params())

    def ensure(self, traces: Sequence[Any]) -> None:
        """Keep the rows of the ``traces`` that have no kept table with their parameters (the
        traces run again, on the case's DuckDB)."""
        from .networks import keep_traces

        missing = [t for t in traces if self.table(t) is None]
        if missing:
            keep_traces(self.case, [t.name for t in missing], {t.name: t.get_params() for t in missing})
            self.record(missing)

    def drop(self, layers: Iterable[str] | None = None) -> None:
        """Drop the kept tables of ``layers`` (default: every one, and any a stage made)."""
        from .networks import drop_kept_traces

        if layers is None:
            drop_kept_traces(self.case)
            self.tables.clear()
            return
        layers = [l for l in layers if l in self.tables]
        if layers:
            drop_kept_traces(self.case, layers)
        for l in layers:
            del self.tables[l]


@dataclass
class PipelineResult:
    """What :func:`run` did: the counts of the case tables it wrote, the run's statistics (as the
    ``detect_runs`` row stores them), its parameters, the export files and the seconds taken."""

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
    engine: str = "duckdb"


@dataclass
class RunInputs:
    """The files of ``cibscope run``: the data to ingest, and a generated folder's ground truth
    and claimed list when there is one."""

    data: list[Path]
    truth: Path | None = None
    claimed: Path | None = None
    named: list[Path] = field(default_factory=list)  # the paths of ``data`` the user named (not a folder's files)


def run_inputs(paths: Iterable[str | os.PathLike[str]]) -> RunInputs:
    """Split ``paths`` into data, ground truth and claimed list. A folder holding the generator's
    truth or takedown file (:data:`cibscope.generate.NOT_DATA`) is a generated folder: its other
    files are the data (not hidden ones, nor .md/.txt notes), read as a folder's files (one of
    no known format is skipped); any other path is data as is, and ``named``."""
    from .generate import NOT_DATA, TAKEDOWN_FILE, TRUTH_FILE

    out = RunInputs([])
    for d in map(Path, paths):
        if d.is_dir() and any((d / n).exists() for n in NOT_DATA):
            out.data.extend(
                f for f in sorted(d.iterdir())
                if f.is_file() and f.name not in NOT_DATA and not f.name.startswith(".") and f.suffix.lower() not in (".md", ".txt")
            )
            if out.claimed is None and (d / TAKEDOWN_FILE).exists():
                out.claimed = d / TAKEDOWN_FILE
            if (d / TRUTH_FILE).exists():
                out.truth = d / TRUTH_FILE
        else:
            out.data.append(d)
            out.named.append(d)
    return out


# -- helpers over the stored runs ------------------------------------------------------------
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


def _n_tests(networks: Any) -> dict[str, int]:
    """Pairs tested per layer, from the builder's stats (``pairs_considered``)."""
    if not isinstance(networks, dict):
        return {}
    return {k: int(v.get("pairs_considered", 0)) for k, v in networks.get("layers", {}).items() if isinstance(v, dict)}


def _building_run(case: Case) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(params, stats) of the run that built the stored edges (the latest with builder stats)."""
    for params, stats in case.engine.execute("SELECT params, stats FROM detect_runs ORDER BY run_at DESC").fetchall():
        st = json.loads(stats)
        if "networks" in st:
            return json.loads(params), st
    return None


def last_n_tests(case: Case) -> dict[str, int]:
    """Pairs tested per layer by the run that built the stored edges (its builder stats)."""
    run_ = _building_run(case)
    return _n_tests(run_[1]["networks"]) if run_ else {}


def built_network_params(case: Case) -> dict[str, Any]:
    """The trace parameters (flat, as ``DetectConfig.networks``) the stored edges were built with.

    Re-scoring stored edges must use them: the group-membership test reads the same traces'
    actions and windows as the builder did. ``{}`` (the defaults) when no recorded run built them.
    """
    run_ = _building_run(case)
    return dict(run_[0].get("networks", {})) if run_ else {}


def last_config(case: Case) -> DetectConfig | None:
    """The config of the case's latest detection run (None: never detected)."""
    row = case.engine.execute("SELECT params FROM detect_runs ORDER BY run_at DESC LIMIT 1").fetchone()
    return None if row is None else DetectConfig.from_stored(json.loads(row[0]))


def _stored_null(case: Case) -> tuple[pa.Table, dict[int, dict[str, int]], dict[str, Any]] | None:
    """The null copies' edges and tests of the latest run that recorded them (None: none stored)."""
    info = None
    for (stats,) in case.engine.execute("SELECT stats FROM detect_runs ORDER BY run_at DESC").fetchall():
        st = json.loads(stats)
        if isinstance(st.get("null"), dict):
            info = st["null"]
            break
    if info is None:
        return None
    tests = {int(r): {str(k): int(v) for k, v in t.items()} for r, t in info.get("tests", {}).items()}
    edges = case.engine.fetch_arrow(
        "SELECT replicate, layer, account_a, account_b, n_shared, p_value FROM null_edges "
        "ORDER BY replicate, layer, account_a, account_b"
    )
    return edges, tests, info


def _built_layers(case: Case) -> list[str]:
    from .traces import trace_names

    have = {r[0] for r in case.engine.execute("SELECT DISTINCT layer FROM edges").fetchall()}
    run_ = _building_run(case)
    built = set(run_[1].get("networks", {}).get("layers", {})) if run_ else set()
    return [n for n in trace_names() if n in built or n in have]


# -- the stages ------------------------------------------------------------------------------
def build_stage(
    case: Case, cfg: DetectConfig, *, engine: Engine | None = None, traces: list[str] | None = None,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], KeptTraces]:
    """Stage 1: every (or the named) trace's layer into ``edges``, ``evidence``, ``post_keys``;
    returns the builder's statistics (JSON) and the :class:`KeptTraces` the later stages read.

    On the case's engine the builder keeps the trace rows as it goes (every layer's when there
    are null copies: they read them all; the layers only the null copies read without their
    evidence strings). On another engine (Spark) nothing can be kept there: the rows are kept on
    the case's DuckDB after the build (the same rows; the traces run again on the driver).
    """
    from .evidence.membership import TRACE_LAYERS as MEMBERSHIP_LAYERS
    from .groups.items import ITEM_LAYERS
    from .networks import build_networks, traces_on_case
    from .traces import trace_names

    nested = cfg.trace_params()
    if traces is not None:
        nested = {k: v for k, v in nested.items() if k in traces}
        # the builder replaces only the layers it builds: drop the others so the case holds one run
        for table in ("edges", "evidence", "post_keys"):
            case.engine.execute(f"DELETE FROM {table}")
    full = tuple(dict.fromkeys([*MEMBERSHIP_LAYERS, *ITEM_LAYERS]))
    keep = tuple(trace_names()) if cfg.null.replicates > 0 else full
    # the layers only the null copies read are kept without their evidence strings
    lean = tuple(n for n in keep if n not in full or n == "near_duplicate")
    kept = KeptTraces(case)
    on_case = engine is None or engine.capabilities.shares_case
    if on_case:
        st = build_networks(case, traces=traces, params=nested or None, progress=progress, keep=keep, keep_lean=lean)
    else:
        st = build_networks(case, traces=traces, params=nested or None, progress=progress, engine=engine)
    names = list(trace_names()) if traces is None else list(traces)
    objs = [o for o in cfg.traces(names) if o.layer in keep]
    if on_case:
        kept.record(objs)
    else:
        with step(progress, "keeping the trace rows the null copies and scores read (on the case)"):
            kept.ensure(traces_on_case(case, objs))
    stats = _jsonable(st.to_dict())
    return stats, kept


def fuse_stage(case: Case, cfg: DetectConfig, n_tests: Mapping[str, int], *, exclude_layers: tuple[str, ...] = ()) -> FusedNetwork:
    """Stage 2: the significant edges of every layer, fused."""
    return fuse_layers(case, cfg.multiplex, exclude_layers=exclude_layers, n_tests=dict(n_tests))


def group_stage(net: FusedNetwork, cfg: DetectConfig) -> dict[str, int]:
    """Stage 3: account -> group on the fused network."""
    return find_groups(net, cfg.groups, cap=cfg.multiplex.cap)


def null_stage(
    case: Case, cfg: DetectConfig, layers: Sequence[str], kept: KeptTraces, progress: Progress | None = None,
) -> tuple[pa.Table, dict[int, dict[str, int]], dict[str, Any]]:
    """Stage 4: the null copies of the case over the built ``layers`` (their rows from ``kept``):
    (edges, pairs tested per replicate and layer, what to record)."""
    from .networks import traces_on_case

    trace_objs = cfg.traces([n for n in _all_traces() if n in layers])
    if cfg.null.replicates > 0:  # the copies read every layer's rows (none: no copy runs)
        kept.ensure(traces_on_case(case, trace_objs))
    null = null_copies(case, trace_objs, cfg.multiplex, cfg.groups, cfg.null, progress=progress)
    info = {"replicates": cfg.null.replicates, "seed": cfg.null.seed, "unit": null.unit, "copies": null.copies}
    return null.edges, null.tests, info


def decide(
    case: Case,
    cfg: DetectConfig,
    net: FusedNetwork,
    membership: dict[str, int],
    null_edges: pa.Table,
    null_tests: Mapping[int, Mapping[str, int]],
    *,
    exclude_layers: tuple[str, ...] = (),
) -> tuple[pa.Table, dict[int, GroupDecision], list[Any]]:
    """Stage 5: the group decisions: null groups (regrouped from the null copies' edges),
    calibration, inauthenticity signals. Returns (null groups, decisions, signals)."""
    ng = null_groups(
        case, null_edges, null_tests, cfg.multiplex, cfg.groups, replicates=cfg.null.replicates,
        exclude_layers=exclude_layers, cap=cfg.multiplex.cap,
    )
    real = group_statistics(net, membership, cap=cfg.multiplex.cap)
    cal = calibrate(real, ng, cfg.null.replicates, cfg.null.fdr)
    sig = group_signals(case, membership, cfg.signals)
    return ng, decide_groups(cal, sig, min_signals=cfg.signals.min_signals), sig


def _item_tables(case: Case, cfg: DetectConfig, kept: KeptTraces) -> dict[str, str]:
    """layer -> table of its actions (account_id, key, item) for the defining items: the kept
    trace tables (made now for layers without one), near_duplicate's clusters from post_keys."""
    from .groups.items import ITEM_LAYERS

    have = set(_built_layers(case))
    out: dict[str, str] = {}
    objs = cfg.traces([l for l in ITEM_LAYERS if l in have])
    kept.ensure([o for o in objs if o.layer != "near_duplicate"])
    for obj in objs:
        if obj.layer == "near_duplicate":
            out[obj.layer] = (
                "(SELECT k.account_id, k.key, substr(p.text, 1, 140) AS item FROM post_keys AS k "
                "JOIN posts AS p ON p.post_id = k.post_id WHERE k.layer = 'near_duplicate')"
            )
            continue
        name = kept.table(obj)
        if name is not None:
            out[obj.layer] = name
    return out


def rescore(case: Case, cfg: DetectConfig, *, exclude_layers: tuple[str, ...] = ()) -> ScoreResult:
    """Fuse -> groups -> decisions -> scores on the stored edges (and the stored null copies'
    edges), writing nothing (the ablation's re-score)."""
    net = fuse_stage(case, cfg, last_n_tests(case), exclude_layers=exclude_layers)
    membership = group_stage(net, cfg)
    stored = _stored_null(case)
    if stored is None or int(stored[2].get("replicates", 0)) != cfg.null.replicates:
        raise CaseStateError(
            f"{case.path}: the stored edges have no null copies with {cfg.null.replicates} replicate(s)",
            hint="run cibscope detect (without --reuse-edges) first",
        )
    _, decisions, _ = decide(case, cfg, net, membership, stored[0], stored[1], exclude_layers=exclude_layers)
    return compute_scores(
        case, net, membership, cfg.score, decisions=decisions, with_evidence_counts=False, cap=cfg.multiplex.cap,
        trace_params=network_params(built_network_params(case)),
    )


def _check_names(traces: list[str] | None) -> None:
    if traces is None:
        return
    from .traces import trace_names

    unknown = sorted(set(traces) - set(trace_names()))
    if unknown:
        raise ParameterError(f"Unknown trace(s): {', '.join(unknown)}. Traces: {', '.join(trace_names())}.")


def run(
    case: str | os.PathLike[str] | Case,
    config: DetectConfig | Mapping[str, Any] | None = None,
    *,
    engine: Engine | None = None,
    out: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    build: bool = True,
    traces: list[str] | None = None,
) -> PipelineResult:
    """Run detection on a case: every stage of the module docstring, in order.

    Writes ``edges``/``evidence``/``post_keys`` (the network stage), ``groups``,
    ``group_members``, ``scores``, ``score_contributions``, ``group_signals``, ``group_items``,
    ``null_edges``, ``null_groups`` and a ``detect_runs`` row. ``config``: a
    :class:`DetectConfig` (or a flat parameter mapping for :meth:`DetectConfig.from_params`);
    every parameter is checked before any work.

    ``engine``: where the network stage runs (default the case's own DuckDB; a started
    :class:`~cibscope.engine.spark.SparkEngine` builds the layers on Spark; the caller closes
    it). The later stages run on the case's DuckDB: the results are the same on both engines.
    ``build=False`` reuses the edges and evidence already in the case (re-grouping and
    re-scoring with other parameters takes seconds), with the trace parameters they were built
    with (giving trace parameters, or an engine, then is a ParameterError). ``traces`` builds
    only the named layers (default: every registered trace) and drops the others' stored edges.
    With ``out``, also writes ``accounts.csv``, ``groups.csv``, ``edges.parquet`` and
    ``network_layers.gexf`` there.
    """
    t0 = time.perf_counter()
    cfg = config if isinstance(config, DetectConfig) else DetectConfig.from_params(config)
    cfg.validate()
    _check_names(traces)
    if not build:
        if cfg.networks:
            raise ParameterError(
                f"trace parameters ({', '.join(sorted(cfg.networks))}) only apply when the edges are built; "
                "reusing the stored edges keeps the parameters they were built with"
            )
        if engine is not None and not engine.capabilities.shares_case:
            raise ParameterError(f"reusing the stored edges builds nothing: the {engine.name} engine would have no work")
    if out is not None:
        out_dir(out)  # a bad --out fails now, not after the detection
    owns = not isinstance(case, Case)
    c = open_case(case, create=False) if not isinstance(case, Case) else case
    kept = KeptTraces(c)
    try:
        c.require_full_read("detect")
        if c.count("posts") == 0 and c.count("edges") == 0:
            raise CaseStateError(f"{c.path}: the case has no posts", hint="ingest data first: cibscope ingest DATA --case FILE")
        if not build and c.count("edges") == 0:
            raise CaseStateError(f"{c.path}: no edges to reuse", hint="run detect without --reuse-edges first")
        return _run(c, cfg, kept, engine=engine, out=out, progress=progress, build=build, traces=traces, t0=t0)
    finally:
        try:
            kept.drop()  # after a failure too: the caller's connection must not keep them
        except Exception:  # noqa: BLE001 -- never hide the error that brought us here
            pass
        if owns:
            c.close()


def _run(
    c: Case, cfg: DetectConfig, kept: KeptTraces, *, engine: Engine | None, out: Any, progress: Progress | None,
    build: bool, traces: list[str] | None, t0: float,
) -> PipelineResult:
    from .evidence.membership import TRACE_LAYERS as MEMBERSHIP_LAYERS
    from .groups.items import ITEM_LAYERS, defining_items

    timings: dict[str, float] = {}
    stats: dict[str, Any] = {}
    # 1 networks
    if build:
        t = time.perf_counter()
        stats["networks"], built_kept = build_stage(c, cfg, engine=engine, traces=traces, progress=progress)
        kept.tables.update(built_kept.tables)
        layers = stats["networks"].get("layers", {}) if isinstance(stats["networks"], dict) else {}
        stats["hot_keys"] = {
            "bounded_action_pairs": sum(int(v.get("bounded_action_pairs", 0)) for v in layers.values()),
            "bounded_keys": sum(int(v.get("bounded_keys", 0)) for v in layers.values()),
        }
        timings["networks"] = time.perf_counter() - t
    else:
        # the run is recorded with (and scores use) the parameters the stored edges were built with
        cfg = replace(cfg, networks=built_network_params(c))
    n_tests = _n_tests(stats.get("networks")) if build else last_n_tests(c)
    # 2 multiplex
    t = time.perf_counter()
    with step(progress, "fusing layers into the multiplex network"):
        net = fuse_stage(c, cfg, n_tests)
    timings["multiplex"] = time.perf_counter() - t
    # 3 groups
    t = time.perf_counter()
    with step(progress, f"finding groups ({cfg.groups.method}, resolution {cfg.groups.resolution:g})"):
        membership = group_stage(net, cfg)
    timings["groups"] = time.perf_counter() - t
    # 4 null copies: built now, or the stored ones when the edges are reused with the same copies
    t = time.perf_counter()
    stored = None if build else _stored_null(c)
    if stored is not None and (int(stored[2].get("replicates", -1)), int(stored[2].get("seed", -1))) == (
        cfg.null.replicates, cfg.null.seed
    ):
        null_edges, null_tests, null_info = stored
    else:
        # the layers the builder built (cross-platform ones are skipped on a case of one platform)
        built = list(stats["networks"].get("layers", {})) if build else _built_layers(c)
        null_edges, null_tests, null_info = null_stage(c, cfg, built, kept, progress)
    null_info = {**null_info, "tests": {str(r): v for r, v in null_tests.items()}}
    # only the membership test's layers (and the items') are needed from here on
    kept.drop([l for l in kept.layers if l not in MEMBERSHIP_LAYERS and l not in ITEM_LAYERS])
    timings["null"] = time.perf_counter() - t
    # 5 decisions
    t = time.perf_counter()
    with step(progress, "testing groups against the null copies and the case's base rates"):
        ng, decisions, signals = decide(c, cfg, net, membership, null_edges, null_tests)
        items = defining_items(c, membership, _item_tables(c, cfg, kept), top=max(10, cfg.groups.top_items))
    kept.drop([l for l in kept.layers if l not in MEMBERSHIP_LAYERS])
    timings["decisions"] = time.perf_counter() - t
    # 6 scores
    t = time.perf_counter()
    with step(progress, "scoring accounts"):
        result = compute_scores(
            c, net, membership, cfg.score, decisions=decisions, item_ranks=items, cap=cfg.multiplex.cap,
            trace_params=cfg.trace_params(),
        )
    kept.drop()
    timings["scores"] = time.perf_counter() - t
    # 7 write
    final, roles = _final_membership(result, membership, cfg.groups.min_size)
    n_groups, n_flagged = _write_run(
        c, cfg, net, result, final, roles, items, decisions, signals, null_edges, ng, null_info, stats, timings,
        engine_name=_engine_name(engine),
    )
    res = PipelineResult(
        case_path=c.path,
        n_accounts=result.scores.num_rows,
        n_edges=c.count("edges"),
        n_significant=net.layer_edges.num_rows,
        n_groups=n_groups,
        n_flagged=n_flagged,
        stats=stats,
        params=cfg.as_json(),
        engine=_engine_name(engine),
    )
    # 8 exports
    if out is not None:
        with step(progress, "writing exports"):
            res.outputs = export_outputs(c, out, net=net)
    res.seconds = time.perf_counter() - t0
    return res


def _engine_name(engine: Engine | None) -> str:
    return "duckdb" if engine is None else engine.name or "duckdb"


def _write_run(
    c: Case, cfg: DetectConfig, net: FusedNetwork, result: ScoreResult, final: dict[str, int],
    roles: dict[str, tuple[str, float | None]], items: pa.Table, decisions: dict[int, GroupDecision], signals: list[Any],
    null_edges: pa.Table, ng: pa.Table, null_info: dict[str, Any], stats: dict[str, Any], timings: dict[str, float],
    *, engine_name: str,
) -> tuple[int, int]:
    """Stage 7: scores, groups, decisions and the ``detect_runs`` row, in one transaction.
    Returns (groups, flagged accounts)."""
    c.engine.execute("BEGIN TRANSACTION")
    try:
        write_scores(c, result)
        groups = describe_groups(
            c, net, final, top_items=cfg.groups.top_items, items=items, roles=roles, decisions=decisions,
            strength=result.strength,
        )
        write_groups(c, groups)
        _write_decisions(c, signals, items, null_edges, ng)
        n_flagged = int(sum(result.scores.column("flagged").to_pylist()))
        stats.update(describe(net))
        verdicts: dict[str, int] = {}
        for d in decisions.values():
            verdicts[d.verdict] = verdicts.get(d.verdict, 0) + 1
        stats.update(
            {
                "accounts_scored": result.scores.num_rows,
                "groups": len(groups),
                "groups_by_verdict": dict(sorted(verdicts.items())),
                "accounts_in_groups": len(final),
                "joined_by_membership_test": len(result.joined),
                "flagged": n_flagged,
                "null": {**null_info, "groups": int(ng.num_rows),
                         "max_evidence": float(max(ng.column("evidence").to_pylist(), default=0.0))},
                "seconds": {k: round(v, 3) for k, v in timings.items()},
            }
        )
        if engine_name != "duckdb":
            stats["engine"] = engine_name  # where the layers were built (the results are the same)
        c.engine.execute(
            "INSERT INTO detect_runs VALUES (?, ?, ?)",
            [datetime.now(timezone.utc).replace(tzinfo=None), json.dumps(cfg.as_json(), sort_keys=True),
             json.dumps(stats, sort_keys=True, default=str)],
        )
        c.engine.execute("COMMIT")
    except BaseException:
        c.engine.execute("ROLLBACK")
        raise
    return len(groups), n_flagged


def _final_membership(
    result: ScoreResult, membership: Mapping[str, int], min_size: int
) -> tuple[dict[str, int], dict[str, tuple[str, float | None]]]:
    """Every account's one group after the membership test: Leiden's groups, the joined accounts
    moved to their flagged group. A group left with fewer than ``min_size`` members by those
    moves is dissolved (its remaining members have no group; ``result.scores`` is updated)."""
    final = dict(membership)
    roles: dict[str, tuple[str, float | None]] = {a: ("core", None) for a in membership}
    for acc, (g, ev) in result.joined.items():
        final[acc] = g
        roles[acc] = ("joined", ev)
    sizes: dict[int, int] = {}
    for g in final.values():
        sizes[g] = sizes.get(g, 0) + 1
    small = {g for g, n in sizes.items() if n < min_size}
    if small:
        for acc in [a for a, g in final.items() if g in small]:
            del final[acc]
            del roles[acc]
        gids = result.scores.column("group_id").to_pylist()
        result.scores = result.scores.set_column(
            result.scores.schema.get_field_index("group_id"), "group_id",
            pa.array([None if g in small else g for g in gids], pa.int32()),
        )
    return final, roles


def _all_traces() -> list[str]:
    from .traces import trace_names

    return list(trace_names())


def _write_decisions(c: Case, signals: list[Any], items: pa.Table, null_edges: pa.Table, null_groups_: pa.Table) -> None:
    """Replace group_signals, group_items, null_edges and null_groups."""
    eng = c.engine
    for table, data in (("group_signals", signal_table(signals)), ("group_items", items), ("null_edges", null_edges),
                        ("null_groups", null_groups_)):
        eng.execute(f"DELETE FROM {table}")
        if data.num_rows:
            eng.register_arrow("_cib_w", data)
            try:
                cols = ", ".join(data.column_names)
                eng.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _cib_w")
            finally:
                eng.unregister("_cib_w")


def export_outputs(
    case: Case, out: str | os.PathLike[str], *, net: FusedNetwork | None = None, max_gexf_edges: int = 250_000
) -> dict[str, Path]:
    """Stage 8: accounts.csv, groups.csv, edges.parquet and network_layers.gexf into ``out``
    (:func:`cibscope.export.write_detection_outputs`).

    The GEXF holds the significant per-layer edges (one parallel edge per layer, ``kind`` =
    layer) and their endpoints plus every flagged account, so it stays a readable size even
    when ``edges`` holds millions of tested pairs; edges.parquet holds them all. Above
    ``max_gexf_edges`` significant edges, the GEXF keeps edges inside groups first, then the
    strongest (Gephi's layouts do not cope with millions of edges).
    """
    return write_detection_outputs(case, out, net=net, max_gexf_edges=max_gexf_edges)


# -- one layer (`cibscope network`) ----------------------------------------------------------
def layer_network(
    case: Case, trace: Any, multiplex: MultiplexParams, *, engine: Engine | None = None, progress: Progress | None = None,
) -> tuple[Any, FusedNetwork]:
    """Stages 1 and 2 for one trace on a case: its layer built (on ``engine``) and its
    significant edges as the multiplex stage picks them. Returns (the layer's statistics, the
    network of that one layer)."""
    from .networks import build_networks

    with step(progress, f"{trace.name}: layer and significance", None):
        built = build_networks(case, traces=[trace.name], params={trace.name: trace.get_params()}, engine=engine)
    st = built.layers[trace.layer]
    net = fuse_layers(case, multiplex, only_layers=[trace.layer], n_tests={trace.layer: st.pairs_considered})
    return st, net
