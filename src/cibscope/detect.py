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

import json
import os
import time
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import pyarrow as pa

from .case import Case, open_case
from .errors import CaseStateError, ParameterError
from .evidence.decision import GroupDecision, decide_groups
from .evidence.score import ScoreParams, ScoreResult, compute_scores, write_scores
from .evidence.signals import SignalParams, group_signals, signal_table
from .export import out_dir, write_detection_outputs
from .groups import GroupParams, describe_groups, find_groups, write_groups
from .groups.null import NullParams, calibrate, group_statistics, null_copies, null_groups
from .networks.multiplex import DEFAULT_LAYER_WEIGHTS, FusedNetwork, MultiplexParams, describe, fuse_layers
from .progress import Progress, step

__all__ = ["DetectConfig", "DetectResult", "detect", "parse_params", "export_outputs", "rescore", "SHORTHANDS"]

SHORTHANDS = {
    "alpha": "multiplex.alpha",
    "resolution": "groups.resolution",
    "seed": "groups.seed",
    "threshold": "score.threshold",
}
_MINE = ("multiplex", "groups", "null", "signals", "score")


@dataclass
class DetectConfig:
    """Parsed detect parameters: ours, plus what goes to the trace builder."""

    multiplex: MultiplexParams = field(default_factory=MultiplexParams)
    groups: GroupParams = field(default_factory=GroupParams)
    null: NullParams = field(default_factory=NullParams)
    signals: SignalParams = field(default_factory=SignalParams)
    score: ScoreParams = field(default_factory=ScoreParams)
    networks: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        self.multiplex.validate()
        self.groups.validate()
        self.null.validate()
        self.signals.validate()
        self.score.validate()

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


def parse_params(params: Mapping[str, Any] | None) -> DetectConfig:
    """Split a flat ``{"groups.resolution": 0.1, "co_retweet.window": 30}`` mapping.

    Unknown names of our own sections raise :class:`ParameterError`; ``TRACE.PARAM`` names and
    ``window`` go to the network builder untouched (it validates them). Values are validated
    here for our sections.
    """
    mp: dict[str, Any] = {}
    gp: dict[str, Any] = {}
    np_: dict[str, Any] = {}
    sg: dict[str, Any] = {}
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
            target, cls = {
                "multiplex": (mp, MultiplexParams), "groups": (gp, GroupParams), "null": (np_, NullParams),
                "signals": (sg, SignalParams), "score": (sp, ScoreParams),
            }[section]
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
        null=NullParams(**np_),
        signals=SignalParams(**sg),
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
    case: Case, networks: dict[str, Any], progress: Progress | None, traces: list[str] | None = None, keep: tuple[str, ...] = (),
    keep_lean: tuple[str, ...] = (),
) -> Any:
    """Call the shared co-occurrence builder (cibscope.networks.build_networks)."""
    from .networks import build_networks

    nested = network_params(networks)
    if traces is not None:
        nested = {k: v for k, v in nested.items() if k in traces}
        # the builder replaces only the layers it builds: drop the others so the case holds one run
        for table in ("edges", "evidence", "post_keys"):
            case.con.execute(f"DELETE FROM {table}")
    return build_networks(case.con, traces=traces, params=nested or None, progress=progress, keep=keep, keep_lean=keep_lean)


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


def _stored_null(case: Case) -> tuple[pa.Table, dict[int, dict[str, int]], dict[str, Any]] | None:
    """The null copies' edges and tests of the latest run that recorded them (None: none stored)."""
    info = None
    for (stats,) in case.con.execute("SELECT stats FROM detect_runs ORDER BY run_at DESC").fetchall():
        st = json.loads(stats)
        if isinstance(st.get("null"), dict):
            info = st["null"]
            break
    if info is None:
        return None
    tests = {int(r): {str(k): int(v) for k, v in t.items()} for r, t in info.get("tests", {}).items()}
    edges = case.con.sql(
        "SELECT replicate, layer, account_a, account_b, n_shared, p_value FROM null_edges "
        "ORDER BY replicate, layer, account_a, account_b"
    ).to_arrow_table()
    return edges, tests, info


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
    """The group decisions: null groups (regrouped from the null copies' edges), calibration,
    inauthenticity signals. Returns (null groups, decisions, signals)."""
    ng = null_groups(
        case.con, null_edges, null_tests, cfg.multiplex, cfg.groups, replicates=cfg.null.replicates,
        exclude_layers=exclude_layers, cap=cfg.multiplex.cap,
    )
    real = group_statistics(net, membership, cap=cfg.multiplex.cap)
    cal = calibrate(real, ng, cfg.null.replicates, cfg.null.fdr)
    sig = group_signals(case.con, membership, cfg.signals)
    return ng, decide_groups(cal, sig, min_signals=cfg.signals.min_signals), sig


def rescore(case: Case, cfg: DetectConfig, *, exclude_layers: tuple[str, ...] = ()) -> ScoreResult:
    """Fuse -> groups -> decisions -> scores on the stored edges (and the stored null copies'
    edges), writing nothing (the ablation's re-score)."""
    net = fuse_layers(case.con, cfg.multiplex, exclude_layers=exclude_layers, n_tests=_last_n_tests(case))
    membership = find_groups(net, cfg.groups, cap=cfg.multiplex.cap)
    stored = _stored_null(case)
    if stored is None or int(stored[2].get("replicates", 0)) != cfg.null.replicates:
        raise CaseStateError(
            f"{case.path}: the stored edges have no null copies with {cfg.null.replicates} replicate(s)",
            hint="run cibscope detect (without --reuse-edges) first",
        )
    _, decisions, _ = decide(case, cfg, net, membership, stored[0], stored[1], exclude_layers=exclude_layers)
    return compute_scores(
        case.con, net, membership, cfg.score, decisions=decisions, with_evidence_counts=False, cap=cfg.multiplex.cap,
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
    from .groups.items import ITEM_LAYERS, defining_items
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
            # the null copies read every layer's trace rows, the defining items and the
            # group-membership test some of them: the builder keeps them
            from .traces import trace_names

            full = tuple(dict.fromkeys([*MEMBERSHIP_LAYERS, *ITEM_LAYERS]))
            keep = tuple(trace_names()) if cfg.null.replicates > 0 else full
            # the layers only the null copies read are kept without their evidence strings
            lean = tuple(n for n in keep if n not in full or n == "near_duplicate")
            net_stats = _build_networks(c, cfg.networks, progress, traces, keep=keep, keep_lean=lean)
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
        timings["groups"] = time.perf_counter() - t
        # the null copies: built now, or the stored ones when the edges are reused with the same copies
        t = time.perf_counter()
        stored = None if build else _stored_null(c)
        if stored is not None and (int(stored[2].get("replicates", -1)), int(stored[2].get("seed", -1))) == (
            cfg.null.replicates, cfg.null.seed
        ):
            null_edges, null_tests, null_info = stored
        else:
            # the layers the builder built (cross-platform ones are skipped on a case of one platform)
            built = list(stats["networks"].get("layers", {})) if build else _built_layers(c)
            trace_objs = _trace_objects(cfg.networks, [n for n in _all_traces() if n in built])
            null = null_copies(c.con, trace_objs, cfg.multiplex, cfg.groups, cfg.null, progress=progress)
            null_edges, null_tests = null.edges, null.tests
            null_info = {"replicates": cfg.null.replicates, "seed": cfg.null.seed, "unit": null.unit, "copies": null.copies}
        null_info = {**null_info, "tests": {str(r): v for r, v in null_tests.items()}}
        # only the membership test's layers (and the items') are needed from here on
        drop_kept_traces(c.con, [l for l in _kept_layers(c) if l not in MEMBERSHIP_LAYERS and l not in ITEM_LAYERS])
        timings["null"] = time.perf_counter() - t
        t = time.perf_counter()
        with step(progress, "testing groups against the null copies and the case's base rates"):
            ng, decisions, signals = decide(c, cfg, net, membership, null_edges, null_tests)
            items = defining_items(c.con, membership, _item_tables(c, cfg.networks), top=max(10, cfg.groups.top_items))
        drop_kept_traces(c.con, [l for l in _kept_layers(c) if l not in MEMBERSHIP_LAYERS])
        timings["decisions"] = time.perf_counter() - t
        t = time.perf_counter()
        with step(progress, "scoring accounts"):
            result = compute_scores(
                c.con, net, membership, cfg.score, decisions=decisions, item_ranks=items, cap=cfg.multiplex.cap,
                trace_params=network_params(cfg.networks),
            )
        drop_kept_traces(c.con)
        timings["scores"] = time.perf_counter() - t
        final, roles = _final_membership(result, membership, cfg.groups.min_size)
        c.con.execute("BEGIN TRANSACTION")
        try:
            write_scores(c.con, result)
            groups = describe_groups(
                c.con, net, final, top_items=cfg.groups.top_items, items=items, roles=roles, decisions=decisions,
                strength=result.strength,
            )
            write_groups(c.con, groups)
            _write_decisions(c.con, signals, items, null_edges, ng)
            n_flagged = sum(result.scores.column("flagged").to_pylist())
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
                    "flagged": int(n_flagged),
                    "null": {**null_info, "groups": int(ng.num_rows),
                             "max_evidence": float(max(ng.column("evidence").to_pylist(), default=0.0))},
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


def _trace_objects(networks: Mapping[str, Any], names: list[str] | None) -> list[Any]:
    """The trace objects (with their parameters) of the layers built."""
    from .traces import get_trace, trace_names

    nested = network_params(networks)
    return [get_trace(n)(**nested.get(n, {})) for n in (names if names is not None else trace_names())]


def _all_traces() -> list[str]:
    from .traces import trace_names

    return list(trace_names())


def _built_layers(case: Case) -> list[str]:
    from .traces import trace_names

    have = {r[0] for r in case.con.execute("SELECT DISTINCT layer FROM edges").fetchall()}
    run = _building_run(case)
    built = set(run[1].get("networks", {}).get("layers", {})) if run else set()
    return [n for n in trace_names() if n in built or n in have]


def _kept_layers(case: Case) -> list[str]:
    from .networks import KEPT_PREFIX

    rows = case.con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, ?) ORDER BY 1", [KEPT_PREFIX]
    ).fetchall()
    return [r[0][len(KEPT_PREFIX):] for r in rows]


def _item_tables(case: Case, networks: Mapping[str, Any]) -> dict[str, str]:
    """layer -> table of its actions (account_id, key, item) for the defining items: the kept trace
    tables (made now for layers without one), near_duplicate's clusters from post_keys."""
    from .groups.items import ITEM_LAYERS
    from .networks import keep_traces, kept_trace_table

    have = set(_built_layers(case))
    out: dict[str, str] = {}
    for obj in _trace_objects(networks, [l for l in ITEM_LAYERS if l in have]):
        if obj.layer == "near_duplicate":
            out[obj.layer] = (
                "(SELECT k.account_id, k.key, substr(p.text, 1, 140) AS item FROM post_keys AS k "
                "JOIN posts AS p ON p.post_id = k.post_id WHERE k.layer = 'near_duplicate')"
            )
            continue
        name = kept_trace_table(case.con, obj.layer, obj.get_params())
        if name is None:
            keep_traces(case.con, [obj.name], {obj.name: obj.get_params()})
            name = kept_trace_table(case.con, obj.layer)
        if name is not None:
            out[obj.layer] = name
    return out


def _write_decisions(con: Any, signals: list[Any], items: pa.Table, null_edges: pa.Table, null_groups_: pa.Table) -> None:
    """Replace group_signals, group_items, null_edges and null_groups."""
    for table, data in (("group_signals", signal_table(signals)), ("group_items", items), ("null_edges", null_edges),
                        ("null_groups", null_groups_)):
        con.execute(f"DELETE FROM {table}")
        if data.num_rows:
            con.register("_cib_w", data)
            try:
                cols = ", ".join(data.column_names)
                con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _cib_w")
            finally:
                con.unregister("_cib_w")


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
