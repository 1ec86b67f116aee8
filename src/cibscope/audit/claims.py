"""Stated claims, tested against the data: supported / contradicted / not testable.

Why a claims file: a takedown announcement states facts ("936 accounts", "recently created",
"a spammy network", "accessed through VPNs") and its critics state others ("years of
non-political posts", "236 accounts with more than 10,000 followers"). Writing each as a
*testable statement type with parameters* makes the audit repeatable and honest: every answer
carries the measured figure, the denominator, and how it was computed, and a claim the archive
cannot speak to (IP addresses, accounts not released) is said to be "not testable", never
quietly dropped.

File format (TOML)::

    [announcement]
    title = "..."
    date = 2019-08-19          # reference date for account ages ("at the takedown")
    source = "https://..."

    [[claim]]
    id = "followers"
    statement = "236 accounts had more than 10,000 followers"
    by = "critics"
    kind = "count_followers_above"
    threshold = 10000
    at_least = 200

Conditions (any of them; all given must hold for "supported"): ``at_least``, ``at_most``,
``equals`` (with relative ``tolerance``, default 0.02) on the count; ``share_at_least``,
``share_at_most`` on the share. Every kind and its parameters are in :data:`KINDS` and
docs/audit.md.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..case import Case
from ..errors import InputError
from ..tomlfile import read_toml
from ..schema import CLAIM_RESULTS
from ._util import replace_rows
from .topic import political_sql

CONDITIONS = ("at_least", "at_most", "equals", "tolerance", "share_at_least", "share_at_most")
COMMON = ("id", "statement", "by", "kind", "note")


@dataclass(frozen=True)
class KindSpec:
    description: str
    params: tuple[str, ...] = ()  # kind-specific parameters (besides the conditions)
    required: tuple[str, ...] = ()
    needs_posts: bool = False
    needs_detection: bool = False
    testable: bool = True
    default_reason: str = ""


KINDS: dict[str, KindSpec] = {
    "account_count": KindSpec("number of claimed accounts present in the case (users file or posts)"),
    "account_age": KindSpec(
        "accounts whose age (creation to reference) is within [min_days, max_days]",
        ("min_days", "max_days", "reference"),
    ),
    "accounts_recently_created": KindSpec(
        "accounts created at most within_days before the reference (the announcement date when the file gives one, else the first post)",
        ("within_days", "reference"),
        ("within_days",),
    ),
    "count_followers_above": KindSpec("accounts with more than threshold followers", ("threshold",), ("threshold",)),
    "creation_bursts": KindSpec("accounts created in a creation burst (creation_burst signature)"),
    "account_language": KindSpec(
        "accounts whose interface language is one of languages (prefix match: 'zh' matches zh-cn)",
        ("languages",),
        ("languages",),
    ),
    "political_share": KindSpec("share of the claimed accounts' posts labelled political (shipped lexicon)", needs_posts=True),
    "topic_terms": KindSpec(
        "accounts with at least min_posts posts mentioning any of terms (case-insensitive substring)",
        ("terms", "min_posts"),
        ("terms",),
        needs_posts=True,
    ),
    "spammy": KindSpec(
        "share of the claimed accounts' original posts whose normalised text was also posted by at least min_accounts accounts",
        ("min_accounts",),
        needs_posts=True,
    ),
    "repurposed": KindSpec("accounts with the repurposed signature (non-political history, then a political pivot)", needs_posts=True),
    "nonpolitical_history": KindSpec(
        "accounts that posted non-political content for at least min_days and min_posts posts before their first political post (or ever)",
        ("min_days", "min_posts"),
        needs_posts=True,
    ),
    "posting_timezone": KindSpec(
        "accounts (with at least min_posts posts) whose inferred UTC offset is within tolerance_hours of utc_offset",
        ("utc_offset", "tolerance_hours", "min_posts"),
        ("utc_offset",),
        needs_posts=True,
    ),
    "office_hours": KindSpec("accounts with the office-hours signature", needs_posts=True),
    "coordinated": KindSpec("accounts with a strong or moderate coordination verdict", needs_posts=True, needs_detection=True),
    "used_vpn": KindSpec(
        "accounts accessed through VPNs or unblocked IP addresses",
        testable=False,
        default_reason="the archive holds no IP addresses, devices or login records",
    ),
    "originated_from": KindSpec(
        "where the accounts were operated from",
        ("country",),
        testable=False,
        default_reason="the archive holds no IP or location records; timezone and language are consistent-with indicators at most (see posting_timezone, account_language)",
    ),
    "state_backed": KindSpec(
        "the operation was backed by a state",
        testable=False,
        default_reason="attribution rests on the platform's private signals and outside reporting, not on the released data",
    ),
    "not_testable": KindSpec("any claim the data cannot speak to; give reason", ("reason",), testable=False),
}


@dataclass
class Claim:
    id: str
    kind: str
    statement: str = ""
    by: str = ""
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ClaimsFile:
    announcement: dict[str, Any]
    claims: list[Claim]

    @property
    def reference_date(self) -> datetime | None:
        d = self.announcement.get("date")
        if isinstance(d, datetime):
            return d.replace(tzinfo=None)
        if isinstance(d, date):
            return datetime(d.year, d.month, d.day)
        if isinstance(d, str):
            try:
                return datetime.fromisoformat(d)
            except ValueError:
                return None
        return None


def load_claims(path: str | Path) -> ClaimsFile:
    """Read and check a claims TOML file; InputError names the file and the bad claim."""
    p = Path(path)
    data = read_toml(p, "claims file", hint="a claims TOML file (docs/audit.md)")
    return parse_claims(data, source=str(p))


def parse_claims(data: dict[str, Any], source: str = "<claims>") -> ClaimsFile:
    ann = data.get("announcement", {})
    if not isinstance(ann, dict):
        raise InputError("[announcement] must be a table", file=source)
    raw = data.get("claim", [])
    if not isinstance(raw, list) or not raw:
        raise InputError("no [[claim]] entries", file=source, hint="each claim is a [[claim]] table with id and kind")
    claims: list[Claim] = []
    seen: set[str] = set()
    for i, c in enumerate(raw, 1):
        cid = str(c.get("id") or f"claim{i}")
        kind = c.get("kind")
        if kind not in KINDS:
            raise InputError(
                f"claim {cid!r}: unknown kind {kind!r}",
                file=source,
                hint="known kinds: " + ", ".join(sorted(KINDS)),
            )
        spec = KINDS[kind]
        allowed = set(COMMON) | set(spec.params) | (set(CONDITIONS) if spec.testable else set())
        unknown = sorted(set(c) - allowed)
        if unknown:
            raise InputError(
                f"claim {cid!r} ({kind}): unknown parameter(s) {', '.join(unknown)}",
                file=source,
                hint=f"{kind} takes: " + ", ".join(sorted(allowed - set(COMMON))),
            )
        missing = [r for r in spec.required if r not in c]
        if missing:
            raise InputError(f"claim {cid!r} ({kind}): missing parameter(s) {', '.join(missing)}", file=source)
        if spec.testable and not any(k in c for k in CONDITIONS if k != "tolerance"):
            raise InputError(
                f"claim {cid!r} ({kind}): no condition to test",
                file=source,
                hint="give at_least, at_most, equals, share_at_least or share_at_most",
            )
        if cid in seen:
            raise InputError(f"duplicate claim id {cid!r}", file=source)
        seen.add(cid)
        params = {k: v for k, v in c.items() if k not in COMMON}
        claims.append(Claim(cid, kind, str(c.get("statement", "")), str(c.get("by", "")), params))
    return ClaimsFile(dict(ann), claims)


# ---- TOML writing (round trip) -------------------------------------------------------------


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            raise InputError(f"cannot write {v!r} to TOML")
        return repr(v)
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return json.dumps(str(v), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def dump_claims(cf: ClaimsFile) -> str:
    """The claims file as TOML text; ``parse_claims(tomllib.loads(dump_claims(cf)))`` == cf."""
    lines: list[str] = []
    if cf.announcement:
        lines.append("[announcement]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in cf.announcement.items()]
        lines.append("")
    for c in cf.claims:
        lines.append("[[claim]]")
        lines.append(f"id = {_toml_value(c.id)}")
        if c.statement:
            lines.append(f"statement = {_toml_value(c.statement)}")
        if c.by:
            lines.append(f"by = {_toml_value(c.by)}")
        lines.append(f"kind = {_toml_value(c.kind)}")
        lines += [f"{k} = {_toml_value(v)}" for k, v in c.params.items()]
        lines.append("")
    return "\n".join(lines)


# ---- evaluation ----------------------------------------------------------------------------


@dataclass
class ClaimResult:
    claim_id: str
    kind: str
    statement: str
    claimed_by: str
    status: str  # "supported", "contradicted", "not testable"
    measured: float | None
    measured_text: str
    n: int | None
    method: str
    params: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "claim_id": self.claim_id,
            "kind": self.kind,
            "statement": self.statement,
            "claimed_by": self.claimed_by,
            "status": self.status,
            "measured": self.measured,
            "measured_text": self.measured_text,
            "n": self.n,
            "method": self.method,
            "params": self.params,
        }


@dataclass
class _Measure:
    count: float
    n: int
    method: str
    unit: str = "accounts"


def _check(params: dict[str, Any], m: _Measure) -> tuple[str, float | None, str, list[str]]:
    """Apply the conditions: (status, measured value, text, failed conditions)."""
    share = (m.count / m.n) if m.n else None
    failed: list[str] = []
    uses_share = any(k in params for k in ("share_at_least", "share_at_most"))
    if "at_least" in params and not m.count >= params["at_least"]:
        failed.append(f"at_least {params['at_least']}")
    if "at_most" in params and not m.count <= params["at_most"]:
        failed.append(f"at_most {params['at_most']}")
    if "equals" in params:
        tol = float(params.get("tolerance", 0.02))
        target = float(params["equals"])
        if abs(m.count - target) > tol * max(abs(target), 1.0):
            failed.append(f"equals {params['equals']} (±{tol:.0%})")
    if "share_at_least" in params and (share is None or not share >= params["share_at_least"]):
        failed.append(f"share_at_least {params['share_at_least']}")
    if "share_at_most" in params and (share is None or not share <= params["share_at_most"]):
        failed.append(f"share_at_most {params['share_at_most']}")
    count_txt = f"{m.count:g}" if float(m.count).is_integer() else f"{m.count:.2f}"
    text = f"{count_txt} of {m.n} {m.unit}" + (f" ({100 * share:.1f}%)" if share is not None else "")
    if uses_share and m.n == 0:
        return "not testable", None, f"no {m.unit} to measure", []
    status = "supported" if not failed else "contradicted"
    return status, (share if uses_share else float(m.count)), text, failed


def evaluate_claims(
    case: Case,
    cf: ClaimsFile,
    claimed_table: str,
    *,
    verdicts_available: bool,
) -> list[ClaimResult]:
    """Answer every claim against the case (signatures must be computed); replaces ``claim_results``."""
    con = case.con
    has_posts = case.count("posts") > 0
    ref = cf.reference_date
    results: list[ClaimResult] = []
    for c in cf.claims:
        spec = KINDS[c.kind]
        base = dict(claim_id=c.id, kind=c.kind, statement=c.statement, claimed_by=c.by, params=c.params)
        if not spec.testable:
            reason = c.params.get("reason") or spec.default_reason
            results.append(ClaimResult(**base, status="not testable", measured=None, measured_text="",
                                       n=None, method=f"not testable from this data: {reason}"))
            continue
        if spec.needs_posts and not has_posts:
            results.append(ClaimResult(**base, status="not testable", measured=None, measured_text="", n=None,
                                       method="not testable without tweets: the case holds account metadata only"))
            continue
        if spec.needs_detection and not verdicts_available:
            results.append(ClaimResult(**base, status="not testable", measured=None, measured_text="", n=None,
                                       method="not testable before detection: run `cibscope detect` first"))
            continue
        m = _measure(con, c, claimed_table, ref, has_posts)
        if isinstance(m, str):
            results.append(ClaimResult(**base, status="not testable", measured=None, measured_text="", n=None, method=m))
            continue
        status, value, text, failed = _check(c.params, m)
        method = m.method + ("" if not failed else f"; fails: {', '.join(failed)}")
        results.append(ClaimResult(**base, status=status, measured=value, measured_text=text, n=m.n, method=method))
    replace_rows(
        con,
        CLAIM_RESULTS,
        [{**r.as_dict(), "params": json.dumps(r.params, default=str, ensure_ascii=False)} for r in results],
    )
    return results


def _one(con: Any, sql: str, params: list[Any] | None = None) -> tuple[Any, ...]:
    row = con.execute(sql, params or []).fetchone()
    assert row is not None
    return tuple(row)


def _measure(con: Any, c: Claim, claimed: str, ref: datetime | None, has_posts: bool) -> _Measure | str:
    k, p = c.kind, c.params
    sig = f"(SELECT s.* FROM signatures s JOIN {claimed} USING (account_id))"
    if k == "account_count":
        (n,) = _one(con, f"SELECT count(*) FROM {sig}")
        (listed,) = _one(con, f"SELECT count(*) FROM {claimed}")
        return _Measure(n, int(listed), f"claimed account ids found in the case (users file or posts), of {listed} listed")
    if k in ("account_age", "accounts_recently_created"):
        lo = p.get("min_days")
        hi = p.get("within_days", p.get("max_days"))
        refname = str(p.get("reference", "announcement" if ref is not None else "first_post"))
        if refname == "first_post":
            ref_sql, ref_txt = "first_post_at", "the account's first post"
            if not has_posts:
                return "not testable without tweets: the reference is the first post"
        elif refname == "last_post":
            ref_sql, ref_txt = "last_post_at", "the account's last post"
            if not has_posts:
                return "not testable without tweets: the reference is the last post"
        else:
            when = ref if refname == "announcement" else _parse_date(refname)
            if when is None:
                return f"not testable: no reference date (give [announcement] date or reference = 'YYYY-MM-DD'; got {refname!r})"
            ref_sql, ref_txt = f"TIMESTAMP '{when.isoformat(sep=' ')}'", f"{when.date()}"
        age = f"(epoch({ref_sql}) - epoch(created_at)) / 86400.0"
        conds = []
        if lo is not None:
            conds.append(f"{age} >= {float(lo)}")
        if hi is not None:
            conds.append(f"{age} <= {float(hi)}")
        pred = " AND ".join(conds) or "true"
        cnt, n = _one(con, f"SELECT count(*) FILTER (WHERE {pred}), count(*) FROM {sig} WHERE created_at IS NOT NULL AND {ref_sql} IS NOT NULL")
        rng = f"{'' if lo is None else f'>= {lo} '}{'' if hi is None else f'<= {hi} '}days".strip()
        return _Measure(cnt, n, f"accounts whose age from account creation to {ref_txt} is {rng}; n = accounts with a creation date")
    if k == "count_followers_above":
        t = p["threshold"]
        cnt, n = _one(con, f"SELECT count(*) FILTER (WHERE follower_count > ?), count(*) FROM {sig} WHERE follower_count IS NOT NULL", [t])
        return _Measure(cnt, n, f"accounts with follower_count > {t} (as recorded in the archive at suspension)")
    if k == "creation_bursts":
        cnt, n = _one(con, f"SELECT count(*) FILTER (WHERE creation_burst), count(*) FROM {sig} WHERE creation_burst IS NOT NULL")
        return _Measure(cnt, n, "accounts created on a day with >= burst_min_accounts creations and Poisson p <= burst_max_p given the other days' rate")
    if k == "account_language":
        langs = [str(x).lower() for x in p["languages"]]
        preds = " OR ".join(["lower(account_language) = ? OR starts_with(lower(account_language), ?)"] * len(langs))
        args: list[Any] = []
        for lang in langs:
            args += [lang, lang + "-"]
        cnt, n = _one(con, f"SELECT count(*) FILTER (WHERE {preds}), count(*) FROM {sig} WHERE account_language IS NOT NULL", args)
        return _Measure(cnt, n, f"accounts whose account_language is one of {langs} (case-insensitive, prefix before '-')")
    if k == "political_share":
        cnt, n = _one(con, f"SELECT count(*) FILTER (WHERE {political_sql('text')}), count(*) FROM posts JOIN {claimed} USING (account_id)")
        return _Measure(cnt, n, "posts of the claimed accounts matching the shipped political lexicon (en + zh)", "posts")
    if k == "topic_terms":
        terms = [str(t).lower() for t in p["terms"]]
        min_posts = int(p.get("min_posts", 1))
        pred = " OR ".join(["contains(lower(coalesce(text, '')), ?)"] * len(terms))
        cnt, n = _one(
            con,
            f"""SELECT count(*) FILTER (WHERE hits >= ?), count(*) FROM (
                    SELECT account_id, count(*) FILTER (WHERE {pred}) AS hits
                    FROM posts JOIN {claimed} USING (account_id) GROUP BY 1)""",
            [min_posts, *terms],
        )
        return _Measure(cnt, n, f"claimed accounts with >= {min_posts} post(s) containing any of {terms}; n = claimed accounts with posts")
    if k == "spammy":
        min_acc = int(p.get("min_accounts", 3))
        cnt, n = _one(
            con,
            f"""WITH t AS (SELECT account_id, coalesce(text_norm, lower(text)) AS tx FROM posts
                           WHERE kind IS DISTINCT FROM 'repost' AND coalesce(text_norm, text) IS NOT NULL
                             AND length(coalesce(text_norm, text)) > 0),
                    shared AS (SELECT tx FROM t GROUP BY tx HAVING count(DISTINCT account_id) >= ?)
                SELECT count(*) FILTER (WHERE tx IN (SELECT tx FROM shared)), count(*)
                FROM t JOIN {claimed} USING (account_id)""",
            [min_acc],
        )
        return _Measure(cnt, n, f"original posts (not reposts) of the claimed accounts whose normalised text was posted by >= {min_acc} accounts in the case (copy-paste spam)", "posts")
    if k == "repurposed":
        cnt, n = _one(con, f"SELECT count(*) FILTER (WHERE repurposed), count(*) FROM {sig} WHERE n_posts > 0")
        return _Measure(cnt, n, "accounts with the repurposed signature; n = claimed accounts with posts")
    if k == "nonpolitical_history":
        min_days = float(p.get("min_days", 365))
        min_posts = int(p.get("min_posts", 10))
        cnt, n = _one(
            con,
            f"""SELECT count(*) FILTER (WHERE
                    (first_political_at IS NULL AND n_posts >= ? AND (epoch(last_post_at) - epoch(first_post_at)) / 86400.0 >= ?)
                 OR (first_political_at IS NOT NULL AND n_before_first_political >= ?
                     AND (epoch(first_political_at) - epoch(first_post_at)) / 86400.0 >= ?)), count(*)
                FROM {sig} WHERE n_posts > 0""",
            [min_posts, min_days, min_posts, min_days],
        )
        return _Measure(cnt, n, f"accounts with >= {min_posts} posts over >= {min_days:g} days before their first political post (or with no political post at all)")
    if k == "posting_timezone":
        off = int(p["utc_offset"])
        tol = int(p.get("tolerance_hours", 1))
        min_posts = int(p.get("min_posts", 20))
        diff = f"least(abs(inferred_utc_offset - {off}), 24 - abs(inferred_utc_offset - {off}))"
        cnt, n = _one(con, f"SELECT count(*) FILTER (WHERE {diff} <= {tol}), count(*) FROM {sig} WHERE inferred_utc_offset IS NOT NULL AND n_posts >= ?", [min_posts])
        return _Measure(cnt, n, f"accounts with >= {min_posts} posts whose inferred UTC offset (activity centre at local 13:30) is within {tol} h of UTC{off:+d}")
    if k == "office_hours":
        cnt, n = _one(con, f"SELECT count(*) FILTER (WHERE office_hours), count(*) FROM {sig} WHERE office_hours IS NOT NULL")
        return _Measure(cnt, n, "accounts with the office-hours signature (see docs/audit.md)")
    if k == "coordinated":
        cnt, n = _one(con, f"SELECT count(*) FILTER (WHERE verdict IN ('strong', 'moderate')), count(*) FROM audit_verdicts JOIN {claimed} USING (account_id)")
        return _Measure(cnt, n, "claimed accounts with a strong or moderate coordination verdict")
    raise AssertionError(f"unhandled kind {k}")  # pragma: no cover - KINDS and _measure agree


def _parse_date(s: str) -> datetime | None:
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        return None
