"""Why is this account scored the way it is? The breakdown and the concrete evidence.

Everything here is read back from the case tables the score was computed from
(``scores``, ``score_contributions``, ``evidence``, ``posts``), so the explanation cannot
disagree with the score: ``score == 1 - exp(-sum(contribution values))`` holds by construction
(see :mod:`cibscope.evidence.score`), and each evidence row names both posts, their times, how
many seconds apart they were, the shared item and each post's ``source_file:source_line``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from ..errors import CaseStateError, UnknownAccountError

__all__ = ["Contribution", "EvidenceRow", "Explanation", "explain_account"]


@dataclass(frozen=True)
class Contribution:
    name: str
    value: float
    n_evidence: int
    detail: str


@dataclass(frozen=True)
class EvidenceRow:
    layer: str
    other_account: str
    post: str | None
    other_post: str | None
    at: datetime | None
    other_at: datetime | None
    seconds_apart: float | None
    shared_item: str | None
    source: str | None
    other_source: str | None
    text: str | None
    other_text: str | None
    same_group: bool
    platform: str | None = None  # of this account's post
    other_platform: str | None = None

    @property
    def cross_platform(self) -> bool:
        """True when the two posts are on different platforms (the xp_* layers' evidence)."""
        return bool(self.platform and self.other_platform and self.platform != self.other_platform)


@dataclass
class Explanation:
    account_id: str
    screen_name: str | None
    score: float
    flagged: bool
    group_id: int | None
    top_reasons: str
    contributions: list[Contribution] = field(default_factory=list)
    evidence: list[EvidenceRow] = field(default_factory=list)

    @property
    def total(self) -> float:
        """Sum of the named terms; ``score == 1 - exp(-total)``."""
        return sum(c.value for c in self.contributions)


def _resolve(con: duckdb.DuckDBPyConnection, account: str) -> str:
    """Accept an account id, or a screen name (with or without '@') when it is unambiguous."""
    row = con.execute(
        "SELECT account_id FROM scores WHERE account_id = ? UNION SELECT account_id FROM accounts WHERE account_id = ?",
        [account, account],
    ).fetchone()
    if row is not None:
        return str(row[0])
    name = account.lstrip("@").lower()
    rows = con.execute(
        "SELECT DISTINCT account_id FROM accounts WHERE lower(screen_name) = ? ORDER BY 1 LIMIT 2", [name]
    ).fetchall()
    if len(rows) == 1:
        return str(rows[0][0])
    if len(rows) > 1:
        raise UnknownAccountError(f"screen name {account!r} matches several accounts", hint="give the account id instead")
    raise UnknownAccountError(
        f"no account {account!r} in this case",
        hint="account ids are listed in OUT/accounts.csv (or query the scores table)",
    )


def explain_account(
    con: duckdb.DuckDBPyConnection, account_id: str, *, evidence_per_layer: int = 5
) -> Explanation:
    """The score breakdown of one account and up to ``evidence_per_layer`` evidence rows per layer.

    Evidence with fellow group members comes first, then the closest in time.
    Raises :class:`CaseStateError` before ``detect`` and :class:`UnknownAccountError` for an
    id (or screen name) not in the case.
    """
    n_runs = con.execute("SELECT count(*) FROM detect_runs").fetchone()
    if not n_runs or not n_runs[0]:
        raise CaseStateError("this case has not been through detection yet", hint="run `cibscope detect --case FILE` first")
    acc = _resolve(con, account_id)
    srow = con.execute("SELECT score, flagged, group_id, top_reasons FROM scores WHERE account_id = ?", [acc]).fetchone()
    name_row = con.execute("SELECT screen_name FROM accounts WHERE account_id = ? LIMIT 1", [acc]).fetchone()
    if srow is None:  # in accounts but not scored (e.g. added after detect): no evidence
        srow = (0.0, False, None, "")
    contributions = [
        Contribution(str(n), float(v), int(k or 0), str(d or ""))
        for n, v, k, d in con.execute(
            "SELECT contribution, value, n_evidence, detail FROM score_contributions WHERE account_id = ? ORDER BY value DESC, contribution",
            [acc],
        ).fetchall()
    ]
    group_id = None if srow[2] is None else int(srow[2])
    rows = con.execute(
        """
        WITH mine AS (
            SELECT layer, account_b AS other, post_a AS post, post_b AS other_post, at_a AS at, at_b AS other_at,
                   seconds_apart, shared_item, source_a AS source, source_b AS other_source, evidence_id
            FROM evidence WHERE account_a = $acc
            UNION ALL
            SELECT layer, account_a, post_b, post_a, at_b, at_a, seconds_apart, shared_item, source_b, source_a, evidence_id
            FROM evidence WHERE account_b = $acc
        ), ranked AS (
            SELECT m.*, (g.account_id IS NOT NULL) AS same_group,
                   row_number() OVER (PARTITION BY m.layer ORDER BY (g.account_id IS NOT NULL) DESC,
                                      abs(coalesce(m.seconds_apart, 1e18)), m.evidence_id) AS rk
            FROM mine m LEFT JOIN group_members g ON g.account_id = m.other AND g.group_id = $gid
        )
        SELECT r.layer, r.other, r.post, r.other_post, r.at, r.other_at, r.seconds_apart, r.shared_item,
               r.source, r.other_source, pa.text, pb.text, r.same_group, pa.platform, pb.platform
        FROM ranked r
        LEFT JOIN posts pa ON pa.post_id = r.post
        LEFT JOIN posts pb ON pb.post_id = r.other_post
        WHERE r.rk <= $k
        ORDER BY r.layer, r.rk
        """,
        {"acc": acc, "gid": group_id if group_id is not None else -1, "k": int(evidence_per_layer)},
    ).fetchall()
    evidence = [
        EvidenceRow(
            layer=str(r[0]), other_account=str(r[1]), post=r[2], other_post=r[3], at=r[4], other_at=r[5],
            seconds_apart=None if r[6] is None else float(r[6]), shared_item=r[7], source=r[8], other_source=r[9],
            text=r[10], other_text=r[11], same_group=bool(r[12]), platform=r[13], other_platform=r[14],
        )
        for r in rows
    ]
    return Explanation(
        account_id=acc,
        screen_name=None if name_row is None else name_row[0],
        score=float(srow[0]),
        flagged=bool(srow[1]),
        group_id=group_id,
        top_reasons=str(srow[3] or ""),
        contributions=contributions,
        evidence=evidence,
    )
