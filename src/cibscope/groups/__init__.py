"""Groups: sets of accounts that act together, found on the fused multiplex network.

>>> groups = detect_groups(case, resolution=0.05, seed=42, min_size=3)   # doctest: +SKIP

Two methods: ``"leiden"`` (default; CPM quality, see :mod:`.leiden` for why) and
``"components"`` (thresholded connected components, the peers' baseline, :mod:`.components`).
Only significant edges take part (see :mod:`cibscope.networks.multiplex`), so a group is a
set of accounts whose co-actions are unlikely under chance, not merely a set of accounts
that like the same popular things.

Every group records:

* ``size``;
* ``layers``: JSON ``{layer: number of significant internal edges}`` -- which traces support it;
* ``start_at`` / ``end_at``: the first and last co-action over its internal edges;
* ``cohesion``: internal edge density, ``2 E / (n (n - 1))`` over distinct fused pairs
  (1 = every member is significantly linked to every other member). Density, unlike
  conductance, does not depend on what the rest of the case looks like;
* ``top_items``: JSON list of the items most often shared *between members* in the
  evidence table, ``[{"layer", "item", "n"}]``.

Group ids are 1..k ordered by size (largest first), then smallest member id, so they are
stable across runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..case import engine_or_connection
from ..engine import Engine
from ..networks.multiplex import FusedNetwork, MultiplexParams, fuse_layers
from ..params import Interval, Options, validate
from .components import component_membership
from .leiden import leiden_membership

if TYPE_CHECKING:
    from ..case import Case

__all__ = ["GroupParams", "Group", "find_groups", "describe_groups", "detect_groups", "write_groups"]

PARAMETER_CONSTRAINTS = {
    "method": Options({"leiden", "components"}),
    "leiden_quality": Options({"cpm", "modularity"}),
    "leiden_engine": Options({"igraph", "leidenalg"}),
    "edge_weight": Options({"structure", "evidence"}),
    "resolution": Interval(float, 0.0, None, closed="neither"),
    "seed": Interval(int, 0, None),
    "min_size": Interval(int, 2, None),
    "min_weight": Interval(float, 0.0, None),
    "top_items": Interval(int, 0, None),
}


@dataclass(frozen=True)
class GroupParams:
    """Group detection parameters (validated on use).

    method : ``"leiden"`` or ``"components"``.
    leiden_quality : ``"cpm"`` (default) or ``"modularity"``.
    leiden_engine : ``"igraph"`` (default, C implementation) or ``"leidenalg"`` (see :mod:`.leiden`).
    edge_weight : what Leiden weighs a fused pair by: ``"structure"`` (default: its SCAN structural
        similarity, see :func:`cibscope.networks.multiplex.structural_similarity`) or
        ``"evidence"`` (fused weight / cap, clipped to 1).
    resolution : CPM gamma, the minimum internal density of a group (see :mod:`.leiden`).
    seed : Leiden's random seed.
    min_size : smallest group kept; smaller communities are not groups.
    min_weight : for ``components``: keep fused edges with at least this weight (-log10 p units).
    top_items : how many shared items to keep per group.
    """

    method: str = "leiden"
    leiden_quality: str = "cpm"
    leiden_engine: str = "igraph"
    edge_weight: str = "structure"
    resolution: float = 0.01
    seed: int = 42
    min_size: int = 3
    min_weight: float = 0.0
    top_items: int = 5

    def validate(self) -> None:
        validate("groups", PARAMETER_CONSTRAINTS, self.__dict__)


@dataclass
class Group:
    group_id: int
    size: int
    layers: dict[str, int]
    start_at: Any
    end_at: Any
    cohesion: float
    top_items: list[dict[str, Any]]
    members: list[str]
    #: members found by Leiden (the rest joined by the group-membership test)
    core_size: int = 0
    #: account -> (role, membership evidence or None)
    roles: dict[str, tuple[str, float | None]] = field(default_factory=dict)
    verdict: str | None = None
    flagged: bool = False
    statistic: float | None = None
    e_value: float | None = None
    q_value: float | None = None
    signals: list[str] = field(default_factory=list)
    strength: float | None = None
    median_seconds: float | None = None
    precision_mix: dict[str, int] = field(default_factory=dict)


def find_groups(net: FusedNetwork, params: GroupParams, *, cap: float = 20.0) -> dict[str, int]:
    """Map account -> group id for the accounts in groups of at least ``min_size``."""
    params.validate()
    fused = net.fused
    if fused.num_rows == 0:
        return {}
    a = fused.column("account_a").to_pylist()
    b = fused.column("account_b").to_pylist()
    nodes = sorted(set(a) | set(b))
    index = {n: i for i, n in enumerate(nodes)}
    src = np.fromiter((index[x] for x in a), dtype=np.int64, count=len(a))
    dst = np.fromiter((index[x] for x in b), dtype=np.int64, count=len(b))
    w = fused.column("weight").to_numpy()
    if params.method == "leiden":
        cpm_w = fused.column("structure").to_numpy() if params.edge_weight == "structure" else np.minimum(1.0, w / cap)
        labels = leiden_membership(
            len(nodes), src, dst, cpm_w,
            resolution=params.resolution, seed=params.seed, method=params.leiden_quality, engine=params.leiden_engine,
        )
    else:
        labels = component_membership(len(nodes), src, dst, w, min_weight=params.min_weight)
    members: dict[int, list[str]] = {}
    for node, lab in zip(nodes, labels):
        members.setdefault(int(lab), []).append(node)
    kept = [sorted(m) for m in members.values() if len(m) >= params.min_size]
    kept.sort(key=lambda m: (-len(m), m[0]))
    return {acc: gid for gid, m in enumerate(kept, start=1) for acc in m}


def describe_groups(
    db: Case | Engine,
    net: FusedNetwork,
    membership: dict[str, int],
    *,
    top_items: int = 5,
    items: pa.Table | None = None,
    roles: dict[str, tuple[str, float | None]] | None = None,
    decisions: dict[int, Any] | None = None,
    strength: dict[int, float] | None = None,
) -> list[Group]:
    """Size, supporting layers, time span, cohesion, top items and decision of each group.

    ``membership``: every member (core and joined); ``roles``: account -> (role, evidence)
    (default: every member ``core``). ``items``: the groups' defining items
    (:func:`cibscope.groups.items.defining_items`): the first ``top_items`` of each become its
    ``top_items``; without them, the items most shared between members in ``evidence``.
    ``decisions``: group -> :class:`cibscope.evidence.decision.GroupDecision`. Cohesion and the
    supporting layers count the significant internal pairs of all members; the span, the median
    seconds apart (over second-precision pairs only) and the precision mix come from the
    internal evidence rows.
    """
    if not membership:
        return []
    eng = engine_or_connection(db)
    roles = roles or {}
    decisions = decisions or {}
    strength = strength or {}
    mem = pa.table({"account_id": list(membership), "group_id": pa.array(list(membership.values()), pa.int32())})
    eng.register_arrow("_cib_members", mem)
    eng.register_arrow("_cib_layer_edges", net.layer_edges)
    eng.register_arrow("_cib_fused", net.fused)
    try:
        sizes = dict(eng.execute("SELECT group_id, count(*) FROM _cib_members GROUP BY 1").fetchall())
        internal = """
            FROM {t} e JOIN _cib_members ma ON ma.account_id = e.account_a
                       JOIN _cib_members mb ON mb.account_id = e.account_b AND mb.group_id = ma.group_id
        """
        layer_rows = eng.execute(
            "SELECT ma.group_id, e.layer, count(*) " + internal.format(t="_cib_layer_edges") + " GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2"
        ).fetchall()
        span = {
            g: (s, t)
            for g, s, t in eng.execute(
                "SELECT ma.group_id, min(e.first_at), max(e.last_at) " + internal.format(t="_cib_layer_edges") + " GROUP BY 1"
            ).fetchall()
        }
        n_internal = dict(
            eng.execute("SELECT ma.group_id, count(*) " + internal.format(t="_cib_fused") + " GROUP BY 1").fetchall()
        )
        timing: dict[int, tuple[Any, Any, float | None]] = {}
        mix: dict[int, dict[str, int]] = {}
        for g, prec, n, lo, hi, med in eng.execute(
            "SELECT ma.group_id, coalesce(e.precision, 'second'), count(*), min(least(e.at_a, e.at_b)), max(greatest(e.at_a, e.at_b)), "
            "median(e.seconds_apart) " + internal.format(t="evidence") + " GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall():
            mix.setdefault(int(g), {})[str(prec)] = int(n)
            if prec == "second":
                timing[int(g)] = (lo, hi, None if med is None else float(med))
        items_of: dict[int, list[dict[str, Any]]] = {}
        if items is not None and items.num_rows:
            for r in items.to_pylist():
                if r["rank"] <= top_items:
                    items_of.setdefault(int(r["group_id"]), []).append({
                        "layer": r["layer"], "item": r["item"], "key": r["key"], "n": int(r["members"]),
                        "accounts": int(r["accounts"]), "log10_p": float(r["log10_p"]),
                    })
        elif top_items > 0:
            for g, layer, item, n in eng.execute(
                """
                SELECT group_id, layer, shared_item, n FROM (
                    SELECT ma.group_id, e.layer, e.shared_item, count(*) AS n,
                           row_number() OVER (PARTITION BY ma.group_id ORDER BY count(*) DESC, e.layer, e.shared_item) AS rk
                    FROM evidence e JOIN _cib_members ma ON ma.account_id = e.account_a
                                    JOIN _cib_members mb ON mb.account_id = e.account_b AND mb.group_id = ma.group_id
                    WHERE e.shared_item IS NOT NULL
                    GROUP BY 1, 2, 3
                ) WHERE rk <= ? ORDER BY group_id, rk
                """,
                [top_items],
            ).fetchall():
                items_of.setdefault(int(g), []).append({"layer": layer, "item": item, "n": int(n)})
    finally:
        for t in ("_cib_members", "_cib_layer_edges", "_cib_fused"):
            eng.unregister(t)
    layers: dict[int, dict[str, int]] = {}
    for g, layer, n in layer_rows:
        layers.setdefault(int(g), {})[str(layer)] = int(n)
    by_group: dict[int, list[str]] = {}
    for acc, g in membership.items():
        by_group.setdefault(g, []).append(acc)
    out = []
    for g in sorted(sizes):
        n = int(sizes[g])
        pairs = n * (n - 1) / 2
        s, t = span.get(g, (None, None))
        members = sorted(by_group[g])
        d = decisions.get(int(g))
        cal = getattr(d, "calibration", None)
        out.append(
            Group(
                group_id=int(g),
                size=n,
                layers=layers.get(int(g), {}),
                start_at=s,
                end_at=t,
                cohesion=float(n_internal.get(g, 0)) / pairs if pairs else 0.0,
                top_items=items_of.get(int(g), []),
                members=members,
                core_size=sum(1 for m in members if roles.get(m, ("core", None))[0] == "core"),
                roles={m: roles.get(m, ("core", None)) for m in members},
                verdict=None if d is None else d.verdict,
                flagged=bool(d is not None and d.flagged),
                statistic=None if cal is None else cal.statistic,
                e_value=None if cal is None else cal.e_value,
                q_value=None if cal is None else cal.q_value,
                signals=[] if d is None else list(d.signals),
                strength=strength.get(int(g)),
                median_seconds=timing.get(int(g), (None, None, None))[2],
                precision_mix=mix.get(int(g), {}),
            )
        )
    return out


def write_groups(db: Case | Engine, groups: list[Group]) -> None:
    """Replace the case's ``groups`` and ``group_members`` tables."""
    eng = engine_or_connection(db)
    eng.execute("DELETE FROM groups")
    eng.execute("DELETE FROM group_members")
    if not groups:
        return
    gt = pa.table(
        {
            "group_id": pa.array([g.group_id for g in groups], pa.int32()),
            "size": pa.array([g.size for g in groups], pa.int32()),
            "layers": [json.dumps(g.layers, sort_keys=True) for g in groups],
            "start_at": pa.array([g.start_at for g in groups], pa.timestamp("us")),
            "end_at": pa.array([g.end_at for g in groups], pa.timestamp("us")),
            "cohesion": pa.array([g.cohesion for g in groups], pa.float64()),
            "top_items": [json.dumps(g.top_items, ensure_ascii=False) for g in groups],
            "core_size": pa.array([g.core_size or g.size for g in groups], pa.int32()),
            "verdict": pa.array([g.verdict for g in groups], pa.string()),
            "flagged": pa.array([g.flagged for g in groups], pa.bool_()),
            "statistic": pa.array([g.statistic for g in groups], pa.float64()),
            "e_value": pa.array([g.e_value for g in groups], pa.float64()),
            "q_value": pa.array([g.q_value for g in groups], pa.float64()),
            "signals": [json.dumps(g.signals) for g in groups],
            "strength": pa.array([g.strength for g in groups], pa.float64()),
            "median_seconds": pa.array([g.median_seconds for g in groups], pa.float64()),
            "precision_mix": [json.dumps(g.precision_mix, sort_keys=True) for g in groups],
        }
    )
    mt = pa.table(
        {
            "group_id": pa.array([g.group_id for g in groups for _ in g.members], pa.int32()),
            "account_id": [m for g in groups for m in g.members],
            "role": [g.roles.get(m, ("core", None))[0] for g in groups for m in g.members],
            "evidence": pa.array([g.roles.get(m, ("core", None))[1] for g in groups for m in g.members], pa.float64()),
        }
    )
    eng.register_arrow("_cib_gt", gt)
    eng.register_arrow("_cib_mt", mt)
    try:
        cols = ", ".join(n for n in gt.column_names)
        eng.execute(f"INSERT INTO groups ({cols}) SELECT {cols} FROM _cib_gt ORDER BY group_id")
        eng.execute(
            "INSERT INTO group_members (group_id, account_id, role, evidence) SELECT group_id, account_id, role, evidence "
            "FROM _cib_mt ORDER BY group_id, account_id"
        )
    finally:
        eng.unregister("_cib_gt")
        eng.unregister("_cib_mt")


def detect_groups(
    db: Case | Engine,
    *,
    resolution: float = 0.01,
    seed: int = 42,
    min_size: int = 3,
    method: str = "leiden",
    leiden_quality: str = "cpm",
    min_weight: float = 0.0,
    multiplex: MultiplexParams | None = None,
    net: FusedNetwork | None = None,
) -> list[Group]:
    """Find groups on the case's fused network and write ``groups`` + ``group_members``.

    ``db``: the case (or its engine). Pass ``net`` to reuse an already fused network; otherwise
    the case's ``edges`` are fused with ``multiplex`` parameters.
    """
    eng = engine_or_connection(db)
    params = GroupParams(
        method=method, leiden_quality=leiden_quality, resolution=resolution,
        seed=seed, min_size=min_size, min_weight=min_weight,
    )
    params.validate()
    mp = multiplex or MultiplexParams()
    if net is None:
        net = fuse_layers(eng, mp)
    membership = find_groups(net, params, cap=mp.cap)
    groups = describe_groups(eng, net, membership, top_items=params.top_items)
    write_groups(eng, groups)
    return groups
