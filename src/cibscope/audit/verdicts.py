"""Per-account verdicts: strong / moderate / weak / no coordination evidence (or not testable).

Why these rules: a takedown says "these accounts coordinated". The question for each account
is how much *checkable* evidence of coordination the data holds, and the answer must name it.
The verdict therefore rests on what detection stored (``scores``, ``score_contributions``,
``group_members``, ``evidence``) and is ordered by the kind of evidence, not by one number:

* **strong** -- the account is flagged (a member of a significant group, linked to several
  fellow members, score above detection's threshold) *and* its coordination shows in at least
  ``strong_min_layers`` independent traces (e.g. co-retweet and near-duplicate text), backed by
  at least ``strong_min_evidence`` concrete evidence rows (post pairs with file:line).
* **moderate** -- flagged but on a single trace or thin evidence; or, not flagged, a score of
  at least ``moderate_score`` (about one fully evidenced trace) with evidence rows.
* **weak** -- some evidence of coordination below those bars (a significant edge, a score above
  ``weak_score``), or only account-level IO signatures (office hours, creation burst,
  repurposing ...). Signatures alone never make more than "weak": an office worker tweets on
  office hours and many people sign up on launch day; they describe, they do not coordinate.
* **none** -- no significant edge, no evidence row, no signature.
* **not testable** -- the case has no posts (account files only): coordination cannot be
  assessed at all, and saying "none" would be wrong.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from ..case import Case
from ..errors import CaseStateError
from ..params import Interval, validate
from ..progress import Progress, step
from ..schema import AUDIT_VERDICTS
from ._util import fetch_dicts, replace_rows

VERDICTS = ("strong", "moderate", "weak", "none", "not testable")
GROUP_TERM = "group"  # the group-level score term of cibscope.evidence.score (not a trace)

SIGNATURE_TEXT = {
    "creation_burst": "created in a burst of {creation_day_count} accounts on {created_day} (Poisson p={creation_day_p:.2g})",
    "office_hours": "{office_pct:.0f}% of posts on weekday office hours at UTC{office_offset:+d} (dataset {dataset_pct:.0f}%)",
    "client_homogeneous": "its group posts {group_client_pct:.0f}% from one client ({group_top_client})",
    "engagement_mismatch": "follower/engagement mismatch: {engagement_mismatch} ({follower_count} followers, {engagement_per_post:.2f} interactions per post)",
    "reactivated": "reactivated after {max_gap_days:.0f} days dormant ({posts_after_gap} posts after)",
    "repurposed": "repurposed: political share {before_pct:.0f}% over {days_before_pivot:.0f} days, then {after_pct:.0f}% from {changepoint_at}",
    "lang_shift": "language shift {lang_before} -> {lang_after} at {lang_shift_at}",
}


@dataclass(frozen=True)
class VerdictParams:
    """Thresholds of the verdict rules (see the module docstring and docs/audit.md)."""

    strong_min_layers: int = 2
    strong_min_evidence: int = 3
    moderate_score: float = 0.5
    weak_score: float = 0.1
    layer_min_value: float = 0.1  # a trace counts as a layer of evidence from this contribution up

    CONSTRAINTS = {
        "strong_min_layers": Interval(int, 1, None),
        "strong_min_evidence": Interval(int, 0, None),
        "moderate_score": Interval(float, 0, 1),
        "weak_score": Interval(float, 0, 1),
        "layer_min_value": Interval(float, 0, None),
    }

    def validate(self) -> None:
        validate("verdicts", self.CONSTRAINTS, {k: v for k, v in asdict(self).items() if k in self.CONSTRAINTS})


def detection_ran(case: Case) -> bool:
    """True when `cibscope detect` has written its outputs into the case."""
    return case.count("detect_runs") > 0 or case.count("scores") > 0


def compute_verdicts(
    case: Case,
    claimed_table: str,
    params: VerdictParams | None = None,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Verdicts for every account of the case (claimed or not); replaces ``audit_verdicts``.

    ``claimed_table``: a table/view with one column ``account_id`` (the claimed accounts).
    Needs ``signatures`` computed first. Raises CaseStateError when the case has posts but
    detection has not run.
    """
    p = params or VerdictParams()
    p.validate()
    con = case.con
    has_posts = case.count("posts") > 0
    if has_posts and not detection_ran(case):
        raise CaseStateError(
            f"{case.path}: the case has posts but no detection results",
            hint=f"run `cibscope detect --case {case.path}` first",
        )
    with step(progress, "verdicts"):
        rows = fetch_dicts(
            con,
            f"""
            WITH ids AS (SELECT account_id FROM signatures),
            contrib AS (
                SELECT account_id,
                       list(struct_pack(name := contribution, value := value, n := n_evidence, detail := detail)
                            ORDER BY value DESC) AS terms
                FROM score_contributions WHERE value > 0 GROUP BY 1
            ),
            ev AS (
                SELECT account_id, count(*) AS n_evidence, list(DISTINCT layer) AS ev_layers FROM (
                    SELECT account_a AS account_id, layer FROM evidence
                    UNION ALL SELECT account_b, layer FROM evidence
                ) GROUP BY 1
            ),
            edge_n AS (
                SELECT account_id, count(*) AS n_edges FROM (
                    SELECT account_a AS account_id FROM edges UNION ALL SELECT account_b FROM edges
                ) GROUP BY 1
            ),
            gm AS (SELECT group_id, count(*) AS group_size FROM group_members GROUP BY 1)
            SELECT ids.account_id,
                   ids.account_id IN (SELECT account_id FROM {claimed_table}) AS claimed,
                   s.score, s.flagged, s.group_id, gm.group_size, s.top_reasons,
                   contrib.terms, coalesce(ev.n_evidence, 0) AS n_evidence_rows, ev.ev_layers,
                   coalesce(edge_n.n_edges, 0) AS n_edges,
                   sig.flags, sig.n_posts, sig.creation_day_count, CAST(CAST(sig.created_at AS DATE) AS VARCHAR) AS created_day,
                   sig.creation_day_p, sig.office_hours_share, sig.office_hours_share_dataset,
                   sig.group_top_client, sig.group_client_share, sig.engagement_mismatch, sig.follower_count,
                   sig.engagement_per_post, sig.max_gap_days, sig.posts_after_gap, sig.political_share_before,
                   sig.political_share_after, sig.days_before_pivot, CAST(sig.changepoint_at AS VARCHAR) AS changepoint_at,
                   sig.lang_before, sig.lang_after, CAST(sig.lang_shift_at AS VARCHAR) AS lang_shift_at
            FROM ids
            LEFT JOIN scores s USING (account_id)
            LEFT JOIN gm ON gm.group_id = s.group_id
            LEFT JOIN contrib USING (account_id)
            LEFT JOIN ev USING (account_id)
            LEFT JOIN edge_n USING (account_id)
            LEFT JOIN signatures sig USING (account_id)
            ORDER BY ids.account_id
            """,
        )
        office_offset = _office_offset(case)
        out = [decide(r, p, has_posts=has_posts, office_offset=office_offset) for r in rows]
        _store(con, out)
    return out


def _office_offset(case: Case) -> int:
    v = case.meta("audit_office_utc_offset")
    return int(v) if v is not None else 8


def decide(r: dict[str, Any], p: VerdictParams, *, has_posts: bool = True, office_offset: int = 8) -> dict[str, Any]:
    """The verdict and its reasons for one account's facts (a row of the query above).

    Pure, so the rules can be tested on hand-made facts.
    """
    flags: list[str] = json.loads(r.get("flags") or "[]")
    base = {
        "account_id": r["account_id"],
        "claimed": bool(r.get("claimed")),
        "score": r.get("score"),
        "flagged": bool(r.get("flagged")) if r.get("flagged") is not None else None,
        "group_id": r.get("group_id"),
        "group_size": r.get("group_size"),
        "signatures": flags,
    }
    if not has_posts:
        reasons = ["not testable without tweets: the case holds account metadata only, so coordination cannot be assessed"]
        reasons += [_signature_reason(f, r, office_offset) for f in flags]
        return {**base, "verdict": "not testable", "n_layers": 0, "n_evidence": 0, "layers": [], "reasons": reasons}

    terms = [t for t in (r.get("terms") or []) if t["name"] != GROUP_TERM]
    layers = [t for t in terms if (t["value"] or 0) >= p.layer_min_value]
    layer_names = sorted({t["name"] for t in layers} | set(r.get("ev_layers") or []))
    n_layers = len(layer_names)
    n_evidence = int(r.get("n_evidence_rows") or 0)
    if n_evidence == 0:
        n_evidence = int(sum((t["n"] or 0) for t in layers))
    score = float(r.get("score") or 0.0)
    flagged = bool(r.get("flagged"))
    n_edges = int(r.get("n_edges") or 0)

    reasons: list[str] = []
    if flagged:
        g = f" in group {r['group_id']}" + (f" of {r['group_size']} accounts" if r.get("group_size") else "") if r.get("group_id") is not None else ""
        reasons.append(f"flagged by detection: score {score:.2f}{g}")
    elif score > 0:
        reasons.append(f"score {score:.2f}, not flagged")
    for t in layers:
        detail = f": {t['detail']}" if t.get("detail") else ""
        reasons.append(f"{t['name']} {t['value']:.2f} ({t['n'] or 0} evidence rows){detail}")
    if n_evidence:
        reasons.append(f"{n_evidence} evidence rows across {n_layers} trace(s): {', '.join(layer_names)}")
    sig_reasons = [_signature_reason(f, r, office_offset) for f in flags]

    if flagged and n_layers >= p.strong_min_layers and n_evidence >= p.strong_min_evidence:
        verdict = "strong"
    elif (flagged and n_evidence > 0) or (score >= p.moderate_score and n_evidence > 0):
        verdict = "moderate"
        if flagged:
            short = []
            if n_layers < p.strong_min_layers:
                short.append(f"{n_layers} trace(s) (needs {p.strong_min_layers})")
            if n_evidence < p.strong_min_evidence:
                short.append(f"{n_evidence} evidence rows (needs {p.strong_min_evidence})")
            reasons.append("below strong: " + ", ".join(short))
    elif score >= p.weak_score or n_evidence > 0 or n_edges > 0 or flagged or flags:
        verdict = "weak"
        if not (score >= p.weak_score or n_evidence > 0 or n_edges > 0 or flagged):
            reasons.append("no coordination evidence; account-level signatures only")
        elif n_edges and not n_evidence:
            reasons.append(f"{n_edges} similarity edge(s) without evidence rows")
    else:
        verdict = "none"
        reasons.append("no coordination evidence: no significant edge, no evidence row, no IO signature")
    reasons += sig_reasons
    return {**base, "verdict": verdict, "n_layers": n_layers, "n_evidence": n_evidence, "layers": layer_names, "reasons": reasons}


def _signature_reason(flag: str, r: dict[str, Any], office_offset: int) -> str:
    tmpl = SIGNATURE_TEXT.get(flag)
    if tmpl is None:
        return f"signature: {flag}"
    vals = dict(r)
    vals.update(
        office_pct=100 * (r.get("office_hours_share") or 0),
        dataset_pct=100 * (r.get("office_hours_share_dataset") or 0),
        office_offset=office_offset,
        group_client_pct=100 * (r.get("group_client_share") or 0),
        before_pct=100 * (r.get("political_share_before") or 0),
        after_pct=100 * (r.get("political_share_after") or 0),
    )
    try:
        return "signature: " + tmpl.format(**{k: (v if v is not None else 0) for k, v in vals.items()})
    except (ValueError, TypeError, KeyError):
        return f"signature: {flag}"


def _store(con: Any, rows: list[dict[str, Any]]) -> None:
    replace_rows(con, AUDIT_VERDICTS, [{**r, "reasons": json.dumps(r["reasons"], ensure_ascii=False)} for r in rows])
