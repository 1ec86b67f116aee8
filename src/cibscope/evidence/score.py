"""Account scores that explain themselves: a sum of named contributions, squashed into [0, 1].

The design is splink's match weight: every source of evidence contributes its own named term,
the terms are *kept* (table ``score_contributions``), and the score is a fixed function of
their sum, so a reader can see exactly how much each trace moved it (a waterfall), and the
report, the audit and ``cibscope explain`` all read the same numbers.

The score *ranks* accounts by how much evidence ties them to a coordinated inauthentic
operation; the *flag* is a decision about groups (:mod:`cibscope.evidence.decision`): an
account is flagged when it belongs to a flagged group.

Terms for an account ``i``
--------------------------
* one term per trace layer ``l`` (named after the layer, e.g. ``co_retweet``)::

      c_l(i) = 1 - exp(-mean_e(sigma_e * w_l * s_e) * min(1, k / partners_saturation) / saturation)

  over the ``k`` significant edges of ``i`` in layer ``l``; ``s_e = min(cap, -log10(p * m))`` is
  the edge's evidence beyond what testing ``m`` pairs gives by chance (E-value, see
  :mod:`cibscope.networks.multiplex`) and ``sigma_e`` its structural similarity (shared
  partners). A *mean*, not a sum: forty chance links of a fan (each barely significant,
  partners unrelated) do not add up to one strong link; breadth counts only up to
  ``partners_saturation`` partners. Account-level traces (creation batches, templated
  profiles) are layers too. Edges inside a group that is not flagged (its coordination judged
  organic-looking, or chance) do not count: the score ranks evidence of an operation.
* ``group`` -- ``group_weight * min(1, d / partners_saturation)`` for a member of a *flagged*
  group (coordinated beyond the case's null and inauthentic), ``d`` the fellow members it is
  significantly linked to. Members of groups that are only coordinated (fan clubs, activists)
  or not beyond chance get no group term.
* ``inauthenticity`` -- ``signal_weight * (traits shown / traits fired)``: the share of its
  flagged group's inauthenticity traits (:mod:`cibscope.evidence.signals`) the member itself
  shows (created in the burst, posts from the group's client, ...).
* ``group_affinity`` -- ``affinity_weight * max over flagged groups of`` the match between the
  account's habits (hour-of-week profile, client app) and the group's (see
  :func:`group_affinity`): an account-level signature, for members that leave no edges.
* ``group_membership`` -- ``membership_weight * min(1, s / membership_saturation)`` for an
  account outside the flagged groups, where ``s`` is the evidence (-log10 E-value) of the
  group-membership test against its best flagged group (:mod:`.membership`): its actions
  co-occur with the group's members more than chance allows, although no single pair does.
  Its hits are stored in ``evidence`` (layer ``group_membership``).
* ``group_items`` -- ``items_weight * min(1, s / membership_saturation)`` with ``s`` the
  evidence of the same test **without a window** (:func:`.membership.group_membership`,
  ``untimed``): the account's actions land on the items a flagged group acts on (its retweeted
  posts, links, hashtags, texts), at any time, more than chance allows. It ranks; it never
  flags (interest in an operation's items is not coordination). It is what puts an operation's
  quiet accounts -- two retweets of the operation's posts, minutes after it -- above accounts
  with no tie to any operation.

Score and flag
--------------
``score = 1 - exp(-sum of terms)``: 0 without evidence. ``flagged``::

    flagged = core member of a flagged group, linked to at least min_partners fellow members
           or  joined a flagged group: group-membership evidence s >= membership_min_evidence
               (tested: accounts outside the flagged groups, and members linked to fewer than
               min_partners fellow members, each against the groups without them)
       (and, optionally, score >= threshold; the default threshold 0 adds no cut)

Every account has one group (``group_id``): its Leiden group, or the flagged group the
membership test joined it to (``group_members.role`` = ``joined``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..case import engine_or_connection
from ..engine import Engine
from ..exact import exact_sum
from ..networks.multiplex import FusedNetwork
from ..params import Interval, validate
from .decision import GroupDecision, verdict_text
from .membership import DEFAULT_LAYERS, MEMBERSHIP_LAYER, group_membership

if TYPE_CHECKING:
    from ..case import Case

__all__ = [
    "ScoreParams", "ScoreResult", "compute_scores", "write_scores", "squash", "GROUP_TERM", "MEMBERSHIP_TERM",
    "INAUTHENTICITY_TERM", "CORE", "JOINED",
]

GROUP_TERM = "group"
AFFINITY_TERM = "group_affinity"
INAUTHENTICITY_TERM = "inauthenticity"
MEMBERSHIP_TERM = MEMBERSHIP_LAYER
ITEMS_TERM = "group_items"
#: group_members.role
CORE = "core"
JOINED = "joined"

PARAMETER_CONSTRAINTS = {
    "saturation": Interval(float, 0.0, None, closed="neither"),
    "group_weight": Interval(float, 0.0, None),
    "signal_weight": Interval(float, 0.0, None),
    "threshold": Interval(float, 0.0, 1.0),
    "min_partners": Interval(int, 1, None),
    "partners_saturation": Interval(int, 1, None),
    "affinity_weight": Interval(float, 0.0, None),
    "membership_weight": Interval(float, 0.0, None),
    "membership_saturation": Interval(float, 0.0, None, closed="neither"),
    "membership_min_evidence": Interval(float, 0.0, None),
    "membership_min_members": Interval(int, 1, None),
    "items_weight": Interval(float, 0.0, None),
    "top_reasons": Interval(int, 1, None),
}


@dataclass(frozen=True)
class ScoreParams:
    """Scoring parameters.

    saturation : per-layer evidence (sum of -log10 p) at which a layer's term reaches 1 - 1/e.
    group_weight : weight of the group-level term (members of flagged groups).
    signal_weight : weight of the ``inauthenticity`` term (the member's share of its group's traits).
    threshold : optional minimum score of a flagged account (0: no cut; the flag is the group decision).
    min_partners : minimum number of fellow group members a flagged core member is linked to.
    membership_weight : weight of the ``group_membership`` term (0 switches the test off).
    membership_saturation : membership evidence (-log10 E) at which the term reaches its full value.
    membership_min_evidence : membership evidence (-log10 E) that joins an account to a flagged
        group (and flags it); 1 means E <= 0.1.
    items_weight : weight of the ``group_items`` term (the membership test without a window;
        ranks, never flags; 0 switches it off).
    membership_min_members : distinct members of a group that must act on a key within the
        window for an action there to count as acting with the group.
    top_reasons : how many terms to list in ``top_reasons``.
    """

    saturation: float = 10.0
    group_weight: float = 1.0
    signal_weight: float = 0.5
    threshold: float = 0.0
    min_partners: int = 2
    partners_saturation: int = 5
    affinity_weight: float = 1.0
    membership_weight: float = 1.0
    membership_saturation: float = 2.0
    membership_min_evidence: float = 1.0
    membership_min_members: int = 2
    items_weight: float = 1.0
    top_reasons: int = 3

    def validate(self) -> None:
        validate("score", PARAMETER_CONSTRAINTS, self.__dict__)


@dataclass
class ScoreResult:
    """``scores`` and ``contributions`` with the columns of the case tables of the same names.

    ``joined``: account -> (flagged group, membership evidence) for the accounts the
    group-membership test joined to a flagged group; ``strength``: group -> mean internal
    evidence (``min(1, fused weight / cap)`` over internal pairs).
    """

    scores: pa.Table
    contributions: pa.Table
    #: rows for the case table ``evidence`` produced while scoring (the group-membership test's
    #: hits, layer ``group_membership``); None when scoring produced none
    evidence: pa.Table | None = None
    joined: dict[str, tuple[int, float]] = field(default_factory=dict)
    strength: dict[int, float] = field(default_factory=dict)

    def group_of(self) -> dict[str, tuple[int, str, float | None]]:
        """account -> (group, role, membership evidence) for every account with a group."""
        out: dict[str, tuple[int, str, float | None]] = {}
        for acc, g in zip(self.scores.column("account_id").to_pylist(), self.scores.column("group_id").to_pylist()):
            if g is None:
                continue
            j = self.joined.get(acc)
            out[acc] = (int(g), JOINED, float(j[1])) if j is not None else (int(g), CORE, None)
        return out


def squash(total: np.ndarray | float) -> np.ndarray | float:
    """The fixed map from summed terms to a score in [0, 1)."""
    return 1.0 - np.exp(-np.asarray(total, dtype=float)) if isinstance(total, np.ndarray) else 1.0 - float(np.exp(-total))


def _fmt_p(p: float) -> str:
    return f"{p:.1e}" if p < 0.001 else f"{p:.3f}"


def compute_scores(
    db: Case | Engine,
    net: FusedNetwork,
    membership: dict[str, int],
    params: ScoreParams | None = None,
    *,
    decisions: Mapping[int, GroupDecision] | None = None,
    item_ranks: pa.Table | None = None,
    with_evidence_counts: bool = True,
    cap: float = 20.0,
    trace_params: Mapping[str, Mapping[str, Any]] | None = None,
) -> ScoreResult:
    """Score every account of the case (and any account in the edges) from the fused network.

    ``membership`` maps account -> group id (from :func:`cibscope.groups.find_groups`);
    ``decisions`` the groups' decisions (:func:`cibscope.evidence.decision.decide_groups`; None:
    no group is flagged). ``item_ranks``: the groups' defining items (group_id, layer, key,
    rank), so the membership test's evidence starts with them.
    ``with_evidence_counts=False`` skips counting evidence rows (the ablation does not need them).
    ``trace_params``: per trace, the parameters the edges were built with (the group-membership
    test uses the same actions and windows).
    """
    eng = engine_or_connection(db)
    p = params or ScoreParams()
    p.validate()
    decisions = dict(decisions or {})
    mem = pa.table({"account_id": pa.array(list(membership), pa.string()), "group_id": pa.array(list(membership.values()), pa.int32())})
    # links inside a group that is not flagged (coordination judged organic-looking, or chance)
    # are not evidence of an operation: they stay in the group's card, not in its members' scores
    unflagged = {a: g for a, g in membership.items() if not (decisions.get(g) is not None and decisions[g].flagged)}
    nf = pa.table({"account_id": pa.array(list(unflagged), pa.string()), "group_id": pa.array(list(unflagged.values()), pa.int32())})
    eng.register_arrow("_cib_le", net.layer_edges)
    eng.register_arrow("_cib_mem", mem)
    eng.register_arrow("_cib_nf", nf)
    try:
        eng.execute(
            "CREATE OR REPLACE TEMP VIEW _cib_le_s AS SELECT e.* FROM _cib_le AS e "
            "LEFT JOIN _cib_nf AS na ON na.account_id = e.account_a LEFT JOIN _cib_nf AS nb ON nb.account_id = e.account_b "
            "WHERE na.group_id IS NULL OR nb.group_id IS NULL OR na.group_id <> nb.group_id"
        )
        # Per account and layer: evidence strength, partners, strongest edge.
        per_layer = eng.execute(
            f"""
            WITH ends AS (
                SELECT layer, account_a AS account_id, account_b AS other, structure * layer_weight * strength AS s, p_value, n_shared FROM _cib_le_s
                UNION ALL
                SELECT layer, account_b, account_a, structure * layer_weight * strength, p_value, n_shared FROM _cib_le_s
            )
            SELECT account_id, layer, {exact_sum("s")} AS s, count(*) AS k, sum(n_shared) AS shared,
                   -- the strongest partner: smallest p, then largest strength, then name (p ties at 0)
                   arg_min(other, (p_value, -s, other)) AS best_other, min(p_value) AS best_p
            FROM ends GROUP BY 1, 2 ORDER BY 1, 2
            """
        ).fetchall()
        n_ev: dict[tuple[str, str], int] = {}
        if with_evidence_counts and per_layer:
            for acc, layer, n in eng.execute(
                """
                WITH ev AS (
                    SELECT e.layer, e.account_a, e.account_b FROM evidence e
                    SEMI JOIN _cib_le_s k ON k.layer = e.layer AND k.account_a = e.account_a AND k.account_b = e.account_b
                )
                SELECT account_id, layer, count(*) FROM (
                    SELECT layer, account_a AS account_id FROM ev UNION ALL SELECT layer, account_b FROM ev
                ) GROUP BY 1, 2
                """
            ).fetchall():
                n_ev[(acc, layer)] = int(n)
        # Group term: fellow members each account is significantly linked to (any layer).
        partners = dict(
            eng.execute(
                """
                WITH pairs AS (SELECT DISTINCT account_a, account_b FROM _cib_le),
                ends AS (SELECT account_a AS x, account_b AS y FROM pairs UNION ALL SELECT account_b, account_a FROM pairs)
                SELECT ends.x, count(*) FROM ends
                JOIN _cib_mem mx ON mx.account_id = ends.x JOIN _cib_mem my ON my.account_id = ends.y AND my.group_id = mx.group_id
                GROUP BY 1
                """
            ).fetchall()
        )
        sizes = dict(eng.execute("SELECT group_id, count(*) FROM _cib_mem GROUP BY 1").fetchall())
        # group strength: mean evidence of its internal pairs, each min(1, fused weight / cap)
        eng.register_arrow("_cib_fu", net.fused)
        try:
            strength = {
                int(g): float(v)
                for g, v in eng.execute(
                    f"""
                    SELECT ma.group_id, {exact_sum(f"LEAST(1.0, f.weight / {float(cap)!r})")} / count(*)
                    FROM _cib_fu f JOIN _cib_mem ma ON ma.account_id = f.account_a
                                   JOIN _cib_mem mb ON mb.account_id = f.account_b AND mb.group_id = ma.group_id
                    GROUP BY 1
                    """
                ).fetchall()
            }
        finally:
            eng.unregister("_cib_fu")
        accounts = [
            r[0]
            for r in eng.execute(
                """
                SELECT account_id FROM accounts WHERE account_id IS NOT NULL
                UNION SELECT account_a FROM _cib_le UNION SELECT account_b FROM _cib_le
                UNION SELECT account_id FROM _cib_mem
                ORDER BY 1
                """
            ).fetchall()
        ]
    finally:
        eng.drop("_cib_le_s")
        eng.unregister("_cib_le")
        eng.unregister("_cib_mem")
        eng.unregister("_cib_nf")

    c_acc: list[str] = []
    c_name: list[str] = []
    c_val: list[float] = []
    c_n: list[int] = []
    c_det: list[str] = []

    def term(acc: str, name: str, val: float, n: int, detail: str) -> None:
        c_acc.append(acc)
        c_name.append(name)
        c_val.append(float(val))
        c_n.append(int(n))
        c_det.append(detail)

    for acc, layer, s_sum, k, shared, other, best_p in per_layer:
        breadth = min(1.0, int(k) / p.partners_saturation)
        val = float(1.0 - np.exp(-(float(s_sum) / int(k)) * breadth / p.saturation))
        term(
            acc, layer, val, n_ev.get((acc, layer), 0) if with_evidence_counts else int(k),
            f"{int(k)} significant {layer} link(s), {int(shared or 0)} shared item(s), "
            f"mean evidence {float(s_sum) / int(k):.1f} (-log10 E, x structure); strongest p={_fmt_p(float(best_p))} with {other}",
        )
    flagged_groups = {g for g, d in decisions.items() if d.flagged}
    for acc, g in sorted(membership.items()):
        d = decisions.get(g)
        if d is None or not d.flagged:
            continue
        size = int(sizes[g])
        n_part = int(partners.get(acc, 0))
        term(
            acc, GROUP_TERM, p.group_weight * min(1.0, n_part / p.partners_saturation), n_part,
            f"member of flagged group {g} ({size} accounts): {verdict_text(d)}; "
            f"significantly linked to {n_part} of the {size - 1} other members",
        )
        shown = [t for t in d.signals if acc in d.trait_members.get(t, ())]
        if shown and p.signal_weight > 0:
            term(
                acc, INAUTHENTICITY_TERM, p.signal_weight * len(shown) / len(d.signals), len(shown),
                f"shows {len(shown)} of group {g}'s {len(d.signals)} inauthenticity signal(s): {', '.join(shown)}",
            )
    # the flagged groups' members (one pass over the membership, not one per group)
    flagged_members: dict[int, list[str]] = {g: [] for g in sorted(flagged_groups)}
    for a, g in membership.items():
        if g in flagged_members:
            flagged_members[g].append(a)
    if p.affinity_weight > 0:
        fired_traits = {g: decisions[g].signals for g in flagged_members}
        for acc, (val, g, detail) in group_affinity(eng, flagged_members, traits=fired_traits).items():
            if val * p.affinity_weight <= 0:
                continue
            term(acc, AFFINITY_TERM, p.affinity_weight * val, 0, detail)
    m_best: dict[str, tuple[int, float, float, int, int, float, float]] = {}
    m_evidence: pa.Table | None = None
    # A flagged group's member linked to fewer than min_partners fellow members is not flagged
    # by its group; the membership tests treat it like an outsider (against the group without
    # it), so a quiet member Leiden placed on one link joins only on its own actions' evidence.
    tested_groups = {g: [a for a in m if int(partners.get(a, 0)) >= p.min_partners] for g, m in flagged_members.items()}
    present = set(net.layer_edges.column("layer").to_pylist())
    if p.membership_weight > 0 and flagged_members:
        in_flagged = {a for m in tested_groups.values() for a in m}
        ranks = None
        if item_ranks is not None and item_ranks.num_rows:
            keep = [g in flagged_groups for g in item_ranks.column("group_id").to_pylist()]
            ranks = item_ranks.filter(pa.array(keep, pa.bool_())).select(["group_id", "layer", "key", "rank"])
        mres = group_membership(
            eng, tested_groups, layers=tuple(l for l in DEFAULT_LAYERS if l in present), cap=cap,
            evidence_per_account=10 if with_evidence_counts else 0, min_members=p.membership_min_members,
            trace_params=trace_params, item_ranks=ranks,
        )
        m_best = {a: v for a, v in mres.best().items() if v[1] > 0}
        m_evidence = mres.evidence if mres.evidence.num_rows else None
        m_ev_n: dict[str, int] = {}
        if m_evidence is not None:
            for a, b in zip(m_evidence.column("account_a").to_pylist(), m_evidence.column("account_b").to_pylist()):
                tested = b if a in in_flagged else a
                m_ev_n[tested] = m_ev_n.get(tested, 0) + 1
        for acc, (g, s_m, pv, n_hits, n_act, obs, exp) in sorted(m_best.items()):
            term(
                acc, MEMBERSHIP_TERM, p.membership_weight * min(1.0, s_m / p.membership_saturation), m_ev_n.get(acc, n_hits),
                f"{n_hits} of its {n_act} actions co-occur with flagged group {g}: "
                f"summed group share {obs:.2f} vs {exp:.4f} expected by chance, p={_fmt_p(pv)}, "
                f"evidence {s_m:.1f} (-log10 E over {mres.n_tests} account-group tests)",
            )
    if p.items_weight > 0 and flagged_members:
        ures = group_membership(
            eng, tested_groups, layers=tuple(l for l in DEFAULT_LAYERS if l in present), cap=cap,
            evidence_per_account=0, min_members=p.membership_min_members, trace_params=trace_params, untimed=True,
        )
        for acc, (g, s_u, pv, n_hits, n_act, obs, exp) in sorted(ures.best().items()):
            if s_u <= 0:
                continue
            term(
                acc, ITEMS_TERM, p.items_weight * min(1.0, s_u / p.membership_saturation), 0,
                f"{n_hits} of its {n_act} actions are on items flagged group {g} acts on (at any time): "
                f"summed group share {obs:.2f} vs {exp:.4f} expected by chance, p={_fmt_p(pv)}, "
                f"evidence {s_u:.1f} (-log10 E over {ures.n_tests} account-group tests); ranks, never flags",
            )
    order = sorted(range(len(c_acc)), key=lambda i: (c_acc[i], -c_val[i], c_name[i]))
    contributions = pa.table(
        {
            "account_id": pa.array([c_acc[i] for i in order], pa.string()),
            "contribution": pa.array([c_name[i] for i in order], pa.string()),
            "value": pa.array([c_val[i] for i in order], pa.float64()),
            "n_evidence": pa.array([c_n[i] for i in order], pa.int64()),
            "detail": pa.array([c_det[i] for i in order], pa.string()),
        }
    )
    terms: dict[str, list[tuple[float, str]]] = {}
    for i in order:  # a fixed order of summation: the same input gives the same last bit
        terms.setdefault(c_acc[i], []).append((c_val[i], c_name[i]))
    s_score: list[float] = []
    s_flag: list[bool] = []
    s_group: list[int | None] = []
    s_reasons: list[str] = []
    joined: dict[str, tuple[int, float]] = {}
    for acc in accounts:
        ts = terms.get(acc, [])
        score = float(squash(float(sum(v for v, _ in ts))))
        g = membership.get(acc)
        flag = (
            g is not None and g in flagged_groups
            and int(partners.get(acc, 0)) >= p.min_partners and score >= p.threshold
        )
        mb = m_best.get(acc)
        if not flag and mb is not None and mb[1] >= p.membership_min_evidence and score >= p.threshold:
            # outside the flagged groups (or in one on fewer than min_partners links), but its
            # actions tie it to a flagged group beyond chance: it joins that group
            flag = True
            g = mb[0]
            joined[acc] = (int(mb[0]), float(mb[1]))
        top = sorted(ts, key=lambda x: (-x[0], x[1]))[: p.top_reasons]
        s_score.append(score)
        s_flag.append(bool(flag))
        s_group.append(g)
        s_reasons.append("; ".join(f"{name} {val:.2f}" for val, name in top if val > 0))
    scores = pa.table(
        {
            "account_id": pa.array(accounts, pa.string()),
            "score": pa.array(s_score, pa.float64()),
            "flagged": pa.array(s_flag, pa.bool_()),
            "group_id": pa.array(s_group, pa.int32()),
            "top_reasons": pa.array(s_reasons, pa.string()),
        }
    )
    return ScoreResult(scores=scores, contributions=contributions, evidence=m_evidence, joined=joined, strength=strength)


def write_scores(db: Case | Engine, result: ScoreResult) -> None:
    """Replace the case's ``scores`` and ``score_contributions`` tables (and the membership test's evidence)."""
    eng = engine_or_connection(db)
    eng.execute("DELETE FROM scores")
    eng.execute("DELETE FROM score_contributions")
    eng.execute("DELETE FROM evidence WHERE layer = ?", [MEMBERSHIP_LAYER])
    if result.evidence is not None and result.evidence.num_rows:
        eng.register_arrow("_cib_e", result.evidence)
        try:
            eng.execute(
                "INSERT INTO evidence (evidence_id, layer, account_a, account_b, post_a, post_b, at_a, at_b, seconds_apart, "
                "shared_item, source_a, source_b, key_layer, key, precision) "
                "SELECT (SELECT coalesce(max(evidence_id), 0) FROM evidence) + row_number() OVER (ORDER BY account_a, account_b, post_a, post_b), "
                "?, account_a, account_b, post_a, post_b, at_a, at_b, seconds_apart, shared_item, source_a, source_b, "
                "key_layer, key, precision FROM _cib_e",
                [MEMBERSHIP_LAYER],
            )
        finally:
            eng.unregister("_cib_e")
    eng.register_arrow("_cib_s", result.scores)
    eng.register_arrow("_cib_c", result.contributions)
    try:
        eng.execute("INSERT INTO scores SELECT account_id, score, flagged, group_id, top_reasons FROM _cib_s ORDER BY account_id")
        eng.execute(
            "INSERT INTO score_contributions SELECT account_id, contribution, value, n_evidence, detail FROM _cib_c "
            "ORDER BY account_id, value DESC, contribution"
        )
    finally:
        eng.unregister("_cib_s")
        eng.unregister("_cib_c")


def group_affinity(
    db: Case | Engine, strong: dict[int, list[str]], *, min_posts: int = 5,
    traits: Mapping[int, Any] | None = None,
) -> dict[str, tuple[float, int, str]]:
    """Account-level signature term: how much an account's habits match a flagged group's.

    For each flagged group (``strong``: group -> members) two profiles are
    taken from its members' posts: the hour-of-week histogram (168 UTC bins) and the client
    app mix. An account's affinity to the group is

        max(0, cos(h_account - h_all, h_group - h_all)) * client_match

    where ``h_all`` is the whole case's histogram, so only what is *distinctive* about the
    group's timing counts (an office-hours shift in another time zone, not the day-night
    cycle everyone shares), and ``client_match`` is the account's share of posts from the
    group's dominant client when the group is client-homogeneous (>= 90 % of its posts from one
    client that is not the case's most common), else 1. The account gets the maximum over
    flagged groups. No label is used: the groups come from the data, and this term alone
    never flags (flags need group membership); it ranks accounts that act like an operation
    without leaving co-action edges -- an operation's quiet members.

    ``traits``: group -> the inauthenticity traits that fired for it. When given, a group gives
    affinity only when ``workday_rhythm`` fired for it (else a shared time zone would make every
    local account "match" its hours), and its client counts only when ``shared_client`` fired
    too (a client alone, even one the whole group uses, is often an app a quarter of the case
    uses).
    """
    eng = engine_or_connection(db)
    if not strong:
        return {}
    # accounts with >= min_posts posts and a time, numbered in account order; their
    # hour-of-week counts come back as integer columns (a Python loop over the ~50,000 x 168
    # count rows of a 10M-tweet case took most of this function's 18 s)
    eng.materialise(
        "_cib_aff_acc", "SELECT account_id, "
        "CAST(row_number() OVER (ORDER BY account_id) - 1 AS BIGINT) AS i FROM ("
        f"SELECT account_id FROM posts GROUP BY 1 HAVING count(*) >= {int(min_posts)} AND count(created_at) > 0)"
    )
    try:
        accs = [r[0] for r in eng.execute("SELECT account_id FROM _cib_aff_acc ORDER BY i").fetchall()]
        if not accs:
            return {}
        hist = eng.fetch_numpy(
            "SELECT a.i, CAST((isodow(p.created_at) - 1) * 24 + hour(p.created_at) AS BIGINT) AS how, count(*) AS n "
            "FROM posts AS p JOIN _cib_aff_acc AS a ON a.account_id = p.account_id WHERE p.created_at IS NOT NULL GROUP BY 1, 2"
        )
    finally:
        eng.drop("_cib_aff_acc")
    n_acc = len(accs)
    h = np.bincount(
        np.asarray(hist["i"], dtype=np.int64) * 168 + np.asarray(hist["how"], dtype=np.int64),
        weights=np.asarray(hist["n"], dtype=float), minlength=n_acc * 168,
    ).reshape(n_acc, 168)
    idx = {a: i for i, a in enumerate(accs)}
    totals = h.sum(axis=1, keepdims=True)
    h_all = h.sum(axis=0) / max(h.sum(), 1.0)
    hn = h / np.maximum(totals, 1.0)
    clients = eng.execute(
        "SELECT account_id, client, count(*) FROM posts WHERE client IS NOT NULL GROUP BY 1, 2"
    ).fetchall()
    per_acc: dict[str, dict[str, int]] = {}
    overall: dict[str, int] = {}
    for a, cl, n in clients:
        per_acc.setdefault(a, {})[cl] = int(n)
        overall[cl] = overall.get(cl, 0) + int(n)
    top_overall = max(sorted(overall), key=lambda k: overall[k]) if overall else None  # ties: the first name
    tot = np.array([float(sum(per_acc.get(a, {}).values())) for a in accs])
    share_of: dict[str, np.ndarray] = {}  # client -> each account's share of its posts from it
    centred = hn - h_all
    norms = np.linalg.norm(centred, axis=1)
    best_v = np.zeros(n_acc)
    best_g = np.zeros(n_acc, dtype=np.int64)
    best_cos = np.zeros(n_acc)
    best_cm = np.ones(n_acc)
    dom_of: dict[int, str | None] = {}  # group -> its dominant client when homogeneous
    for g, members in sorted(strong.items()):
        mi = [idx[m] for m in members if m in idx]
        fired = None if traits is None else set(traits.get(g, ()))
        if not mi or (fired is not None and "workday_rhythm" not in fired):
            continue
        hg = h[mi].sum(axis=0) / max(h[mi].sum(), 1.0) - h_all
        ng = np.linalg.norm(hg)
        if ng == 0:
            continue
        cos = np.clip(centred @ hg / np.maximum(norms * ng, 1e-12), 0.0, 1.0)
        gcl: dict[str, int] = {}
        for m in members:
            for cl, n in per_acc.get(m, {}).items():
                gcl[cl] = gcl.get(cl, 0) + n
        dom = max(sorted(gcl), key=lambda k: gcl[k]) if gcl else None
        if fired is None:
            homogeneous = dom is not None and gcl[dom] >= 0.9 * sum(gcl.values()) and dom != top_overall
        else:
            homogeneous = dom is not None and "shared_client" in fired
        if homogeneous:
            assert dom is not None
            if dom not in share_of:
                cnt = np.array([float(per_acc.get(a, {}).get(dom, 0)) for a in accs])
                share_of[dom] = np.divide(cnt, tot, out=np.zeros(n_acc), where=tot > 0)
            cm = share_of[dom]
        else:
            cm = np.ones(n_acc)
        v = cos * cm
        upd = v > best_v  # strictly greater: the first group (in id order) wins ties
        best_v[upd], best_g[upd], best_cos[upd], best_cm[upd] = v[upd], g, cos[upd], cm[upd]
        dom_of[int(g)] = dom if homogeneous else None
    out: dict[str, tuple[float, int, str]] = {}
    for i in np.flatnonzero(best_v > 0):
        g = int(best_g[i])
        dom = dom_of[g]
        what = f"client {dom!r} share {float(best_cm[i]):.2f}" if dom is not None else "no dominant client"
        out[accs[i]] = (
            float(best_v[i]), g, f"habits match flagged group {g}: hour-of-week profile cosine {float(best_cos[i]):.2f}, {what}"
        )
    return out
