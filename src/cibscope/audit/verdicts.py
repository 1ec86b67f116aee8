"""Per-account verdicts: strong / moderate / weak / no coordination evidence (or not testable).

Why these rules: a takedown says "these accounts coordinated *with each other*, as one
operation". The question for each account is how much *checkable* evidence the data holds that
it coordinated with the claimed network, and the answer must name it. The verdict therefore
rests on what detection stored (``scores``, ``score_contributions``, ``group_members``,
``edges``, ``evidence``) and counts the evidence that links the account to **other claimed
accounts**: an account wrongly claimed may well coordinate -- with a fan club or a newsroom
outside the claim -- and that is no evidence for the claim. (For an unclaimed account the same
count measures its links to the claimed network: a possible miss.)

* **strong** -- flagged by detection (a member of a significant group, linked to several fellow
  members, score above detection's threshold) *and* linked to at least ``strong_min_partners``
  claimed accounts by significant edges in at least ``strong_min_layers`` independent traces
  (e.g. co-retweet and near-duplicate text), backed by at least ``strong_min_evidence`` concrete
  evidence rows (post pairs with file:line) with claimed accounts, and at least
  ``strong_min_claimed_share`` of its significant partners are claimed.
* **moderate** -- flagged, or a score of at least ``moderate_score`` (about one fully evidenced
  trace), with at least one evidence row linking it to a claimed account and at least
  ``moderate_min_claimed_share`` of its partners claimed, but below "strong".
* **weak** -- some evidence of coordination below those bars: coordination only or mostly with
  accounts outside the claim, a significant edge, a score above ``weak_score``; or only account-level IO
  signatures (office hours, creation burst, repurposing ...). Signatures alone never make more
  than "weak": an office worker tweets on office hours and many people sign up on launch day;
  they describe accounts, they do not show coordination.
* **none** -- no significant edge, no evidence row, no signature.
* **not testable** -- the case has no posts (account files only): coordination cannot be
  assessed at all, and saying "none" would be wrong.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ..case import Case
from ..errors import CaseStateError
from ..params import Interval, validate
from ..progress import Progress, step
from ..schema import AUDIT_VERDICTS
from ._util import fetch_dicts, replace_rows

if TYPE_CHECKING:
    from ..engine.base import Engine

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

    strong_min_layers: int = 2  # traces with significant edges to claimed accounts
    strong_min_partners: int = 2  # distinct claimed accounts linked by significant edges
    strong_min_evidence: int = 3  # evidence rows with claimed accounts
    strong_min_claimed_share: float = 0.5  # of its significant partners, the share that are claimed
    moderate_min_claimed_share: float = 0.5
    moderate_score: float = 0.5
    weak_score: float = 0.1

    CONSTRAINTS = {
        "strong_min_layers": Interval(int, 1, None),
        "strong_min_partners": Interval(int, 1, None),
        "strong_min_evidence": Interval(int, 0, None),
        "strong_min_claimed_share": Interval(float, 0, 1),
        "moderate_min_claimed_share": Interval(float, 0, 1),
        "moderate_score": Interval(float, 0, 1),
        "weak_score": Interval(float, 0, 1),
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
    engine = case.engine
    has_posts = case.count("posts") > 0
    if has_posts and not detection_ran(case):
        raise CaseStateError(
            f"{case.path}: the case has posts but no detection results",
            hint=f"run `cibscope detect --case {case.path}` first",
        )
    with step(progress, "verdicts"):
        rows = fetch_dicts(
            engine,
            f"""
            WITH ids AS (SELECT account_id FROM signatures),
            claimed AS (SELECT DISTINCT account_id FROM {claimed_table}),
            contrib AS (
                SELECT account_id,
                       list(struct_pack(name := contribution, value := value, n := n_evidence, detail := detail)
                            ORDER BY value DESC) AS terms
                FROM score_contributions WHERE value > 0 GROUP BY 1
            ),
            pairs AS (
                SELECT layer, account_a AS account_id, account_b AS partner, n_shared FROM edges
                UNION ALL SELECT layer, account_b, account_a, n_shared FROM edges
            ),
            links AS (
                SELECT account_id, count(*) AS n_edges, count(DISTINCT partner) AS n_partners,
                       count(DISTINCT partner) FILTER (WHERE partner IN (SELECT account_id FROM claimed)) AS n_partners_claimed,
                       list(DISTINCT layer) FILTER (WHERE partner IN (SELECT account_id FROM claimed)) AS claim_layers,
                       sum(n_shared) FILTER (WHERE partner IN (SELECT account_id FROM claimed)) AS shared_claimed
                FROM pairs WHERE partner <> account_id GROUP BY 1
            ),
            ev AS (
                SELECT account_id, count(*) AS n_evidence_rows,
                       count(*) FILTER (WHERE partner IN (SELECT account_id FROM claimed)) AS n_evidence_claimed
                FROM (
                    SELECT account_a AS account_id, account_b AS partner FROM evidence
                    UNION ALL SELECT account_b, account_a FROM evidence
                ) WHERE partner <> account_id GROUP BY 1
            ),
            gm AS (SELECT group_id, count(*) AS group_size FROM group_members GROUP BY 1)
            SELECT ids.account_id,
                   ids.account_id IN (SELECT account_id FROM claimed) AS claimed,
                   s.score, s.flagged, s.group_id, gm.group_size, s.top_reasons,
                   contrib.terms, coalesce(ev.n_evidence_rows, 0) AS n_evidence_rows,
                   coalesce(ev.n_evidence_claimed, 0) AS n_evidence_claimed,
                   (SELECT count(*) FROM evidence) AS evidence_table_rows,
                   coalesce(links.n_edges, 0) AS n_edges, coalesce(links.n_partners, 0) AS n_partners,
                   coalesce(links.n_partners_claimed, 0) AS n_partners_claimed, links.claim_layers,
                   coalesce(links.shared_claimed, 0) AS shared_claimed,
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
            LEFT JOIN links USING (account_id)
            LEFT JOIN ev USING (account_id)
            LEFT JOIN signatures sig USING (account_id)
            ORDER BY ids.account_id
            """,
        )
        office_offset = _office_offset(case)
        out = [decide(r, p, has_posts=has_posts, office_offset=office_offset) for r in rows]
        _store(engine, out)
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
        return {**base, "verdict": "not testable", "n_layers": 0, "n_evidence": 0, "layers": [],
                "n_partners_claimed": 0, "n_partners_other": 0, "reasons": reasons}

    terms = [t for t in (r.get("terms") or []) if t["name"] != GROUP_TERM]
    claim_layers = sorted(r.get("claim_layers") or [])
    n_layers = len(claim_layers)
    n_partners = int(r.get("n_partners") or 0)
    n_claimed_partners = int(r.get("n_partners_claimed") or 0)
    n_evidence = int(r.get("n_evidence_claimed") or 0)
    if not r.get("evidence_table_rows"):  # detection kept no evidence rows: count shared items of the edges
        n_evidence = int(r.get("shared_claimed") or 0)
    score = float(r.get("score") or 0.0)
    flagged = bool(r.get("flagged"))
    n_edges = int(r.get("n_edges") or 0)
    n_other = n_partners - n_claimed_partners
    claimed_share = (n_claimed_partners / n_partners) if n_partners else 0.0

    reasons: list[str] = []
    if flagged:
        g = f" in group {r['group_id']}" + (f" of {r['group_size']} accounts" if r.get("group_size") else "") if r.get("group_id") is not None else ""
        reasons.append(f"flagged by detection: score {score:.2f}{g}")
    elif score > 0:
        reasons.append(f"score {score:.2f}, not flagged")
    for t in terms:
        detail = f": {t['detail']}" if t.get("detail") else ""
        reasons.append(f"{t['name']} {t['value']:.2f} ({t['n'] or 0} evidence rows){detail}")
    if n_claimed_partners:
        reasons.append(
            f"linked to {n_claimed_partners} claimed account(s) by significant edges in {n_layers} trace(s) "
            f"({', '.join(claim_layers)}), {n_evidence} evidence rows with them"
        )
    if n_other:
        reasons.append(f"linked to {n_other} account(s) outside the claim ({claimed_share:.0%} of its partners are claimed)")
    sig_reasons = [_signature_reason(f, r, office_offset) for f in flags]

    if (
        flagged
        and n_layers >= p.strong_min_layers
        and n_claimed_partners >= p.strong_min_partners
        and n_evidence >= p.strong_min_evidence
        and claimed_share >= p.strong_min_claimed_share
    ):
        verdict = "strong"
    elif (flagged or score >= p.moderate_score) and n_evidence > 0 and claimed_share >= p.moderate_min_claimed_share:
        verdict = "moderate"
        short = []
        if not flagged:
            short.append("not flagged")
        if n_layers < p.strong_min_layers:
            short.append(f"{n_layers} trace(s) with claimed accounts (needs {p.strong_min_layers})")
        if n_claimed_partners < p.strong_min_partners:
            short.append(f"{n_claimed_partners} claimed partner(s) (needs {p.strong_min_partners})")
        if n_evidence < p.strong_min_evidence:
            short.append(f"{n_evidence} evidence rows with claimed accounts (needs {p.strong_min_evidence})")
        if claimed_share < p.strong_min_claimed_share:
            short.append(f"{claimed_share:.0%} of its partners claimed (needs {p.strong_min_claimed_share:.0%})")
        reasons.append("below strong: " + ", ".join(short))
    elif score >= p.weak_score or n_edges > 0 or flagged or flags or int(r.get("n_evidence_rows") or 0) > 0:
        verdict = "weak"
        if n_edges and not n_claimed_partners:
            reasons.append("its coordination evidence is only with accounts outside the claim: no evidence for the claim")
        elif n_claimed_partners and claimed_share < p.moderate_min_claimed_share:
            reasons.append(
                f"its coordination is mostly outside the claim ({n_claimed_partners} of {n_partners} partners claimed, "
                f"needs {p.moderate_min_claimed_share:.0%} for moderate)"
            )
        elif not (score >= p.weak_score or n_edges > 0 or flagged):
            reasons.append("no coordination evidence; account-level signatures only")
    else:
        verdict = "none"
        reasons.append("no coordination evidence: no significant edge, no evidence row, no IO signature")
    reasons += sig_reasons
    return {
        **base, "verdict": verdict, "n_layers": n_layers, "n_evidence": n_evidence, "layers": claim_layers,
        "n_partners_claimed": n_claimed_partners, "n_partners_other": n_other, "reasons": reasons,
    }


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


def _store(engine: Engine, rows: list[dict[str, Any]]) -> None:
    replace_rows(engine, AUDIT_VERDICTS, [{**r, "reasons": json.dumps(r["reasons"], ensure_ascii=False)} for r in rows])
