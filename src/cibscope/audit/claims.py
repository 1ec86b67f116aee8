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
from typing import TYPE_CHECKING, Any

from ..case import Case
from ..errors import InputError
from ..tomlfile import read_toml
from ..schema import CLAIM_RESULTS, CLAIM_ROWS
from ._util import replace_rows
from .topic import political_sql

if TYPE_CHECKING:
    from ..engine.base import Engine

CONDITIONS = ("at_least", "at_most", "equals", "tolerance", "share_at_least", "share_at_most")
COMMON = ("id", "statement", "by", "kind", "note", "stated")


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
    note: str = ""
    stated: float | int | None = None  # the figure the statement gives ("236 accounts ...")


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
        stated = c.get("stated")
        if stated is not None:
            if not spec.testable:
                raise InputError(f"claim {cid!r} ({kind}): a stated figure needs a testable kind", file=source)
            if isinstance(stated, bool) or not isinstance(stated, (int, float)) or not math.isfinite(stated):
                raise InputError(f"claim {cid!r} ({kind}): stated must be a number (the figure the statement gives), got {stated!r}", file=source)
            other = {k: c[k] for k in ("equals", "at_least", "at_most") if k in c and c[k] != stated}
            if other:
                k, v = next(iter(other.items()))
                raise InputError(
                    f"claim {cid!r} ({kind}): the statement gives {stated} but the claim tests {k} = {v}",
                    file=source,
                    hint=f"test the stated figure: equals = {stated} with a tolerance (relative, e.g. tolerance = 0.05), or leave the count conditions out",
                )
        if spec.testable and stated is None and not any(k in c for k in CONDITIONS if k != "tolerance"):
            raise InputError(
                f"claim {cid!r} ({kind}): no condition to test",
                file=source,
                hint="give at_least, at_most, equals, share_at_least or share_at_most",
            )
        if cid in seen:
            raise InputError(f"duplicate claim id {cid!r}", file=source)
        seen.add(cid)
        params = {k: v for k, v in c.items() if k not in COMMON}
        if stated is not None and not any(k in params for k in ("equals", "at_least", "at_most")):
            params["equals"] = stated  # a stated figure is tested as stated (± tolerance)
        claims.append(Claim(cid, kind, str(c.get("statement", "")), str(c.get("by", "")), params, str(c.get("note", "")), stated))
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
        if c.stated is not None:
            lines.append(f"stated = {_toml_value(c.stated)}")
        if c.note:
            lines.append(f"note = {_toml_value(c.note)}")
        lines += [f"{k} = {_toml_value(v)}" for k, v in c.params.items()]
        lines.append("")
    return "\n".join(lines)


# ---- evaluation ----------------------------------------------------------------------------


@dataclass
class ClaimResult:
    """One claim answered: what it states, what the data measures, the test and why the
    verdict follows.

    ``stated`` is the figure the statement gives (``stated``, else ``equals``; None when the
    statement gives none, e.g. "many accounts"); ``count`` of ``n`` (``share``) is the measure;
    ``test`` the conditions in words (with the tolerance); ``reason`` why the status follows
    from them. ``measured`` is the value the conditions test (the share with a share
    condition, else the count); ``measured_text`` the measure as text ("214 of 744 accounts (28.8%)").
    """

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
    stated: float | None = None
    count: float | None = None
    share: float | None = None
    unit: str = ""
    test: str = ""
    reason: str = ""
    note: str = ""
    rows_label: str = ""  # what the value column of the claim's rows holds ("followers", ...)

    def as_dict(self) -> dict[str, Any]:
        return {
            "claim_id": self.claim_id,
            "kind": self.kind,
            "statement": self.statement,
            "claimed_by": self.claimed_by,
            "status": self.status,
            "stated": self.stated,
            "measured": self.measured,
            "count": self.count,
            "n": self.n,
            "share": self.share,
            "unit": self.unit,
            "measured_text": self.measured_text,
            "test": self.test,
            "reason": self.reason,
            "method": self.method,
            "note": self.note,
            "rows_label": self.rows_label,
            "params": self.params,
        }


@dataclass
class _Measure:
    count: float
    n: int
    method: str
    unit: str = "accounts"
    rows: str = ""  # SQL: the counted rows (account_id, post_id, value), the ones behind `count`
    rows_label: str = ""  # what `value` holds


def stated_figure(params: dict[str, Any]) -> float | None:
    """The figure a claim without ``stated`` states: the ``equals`` it is tested against."""
    v = params.get("equals")
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    return None


def _fmt_count(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _equals_range(target: float, tol: float, integer: bool) -> tuple[float, float]:
    """The values ``equals target (± tol, relative)`` accepts; whole numbers for a count."""
    half = tol * max(abs(target), 1.0)
    lo, hi = target - half, target + half
    if integer:
        lo, hi = float(math.ceil(lo - 1e-9)), float(math.floor(hi + 1e-9))
    return lo, hi


def _check(params: dict[str, Any], m: _Measure) -> tuple[str, float | None, str, str, str]:
    """Apply the conditions: (status, value tested, measured text, test in words, reason)."""
    share = (m.count / m.n) if m.n else None
    uses_share = any(k in params for k in ("share_at_least", "share_at_most"))
    count_txt = _fmt_count(m.count)
    text = f"{count_txt} of {m.n:,} {m.unit}" + (f" ({_pct(share)})" if share is not None else "")
    if uses_share and m.n == 0:
        return "not testable", None, f"no {m.unit} to measure", "", f"no {m.unit} to measure: the share is undefined"
    tests: list[str] = []
    held: list[str] = []
    failed: list[str] = []
    integer = float(m.count).is_integer()
    if "equals" in params:
        tol = float(params.get("tolerance", DEFAULT_TOLERANCE))
        target = float(params["equals"])
        lo, hi = _equals_range(target, tol, integer)
        rng = f"{_fmt_count(lo)} to {_fmt_count(hi)}"
        tests.append(f"count = {_fmt_count(target)} ± {tol:.0%} ({rng})")
        diff = m.count - target
        rel = f" ({diff / target:+.1%})" if target else ""
        off = "the same as" if diff == 0 else f"{_fmt_count(abs(diff))} {'more' if diff > 0 else 'fewer'} than"
        if lo <= m.count <= hi:
            held.append(f"{count_txt} is within {rng}: {off} the {_fmt_count(target)} stated{rel if diff else ''}")
        else:
            failed.append(f"{count_txt} is outside {rng}: {off} the {_fmt_count(target)} stated{rel}")
    for key, sym, ok in (("at_least", "≥", lambda a, b: a >= b), ("at_most", "≤", lambda a, b: a <= b)):
        if key in params:
            b = float(params[key])
            tests.append(f"count {sym} {_fmt_count(b)}")
            (held if ok(m.count, b) else failed).append(f"{count_txt} {sym if ok(m.count, b) else _NOT[sym]} {_fmt_count(b)}")
    for key, sym, ok in (("share_at_least", "≥", lambda a, b: a >= b), ("share_at_most", "≤", lambda a, b: a <= b)):
        if key in params:
            b = float(params[key])
            tests.append(f"share {sym} {_pct(b)}")
            good = share is not None and ok(share, b)
            shown = _pct(share) if share is not None else "undefined"
            (held if good else failed).append(f"{shown} {sym if good else _NOT[sym]} {_pct(b)}")
    status = "supported" if not failed else "contradicted"
    reason = "; ".join(failed) if failed else "; ".join(held)
    reason = ("fails: " if failed else "holds: ") + reason
    return status, (share if uses_share else float(m.count)), text, " and ".join(tests), reason


_NOT = {"≥": "<", "≤": ">"}
DEFAULT_TOLERANCE = 0.02


def evaluate_claims(
    case: Case,
    cf: ClaimsFile,
    claimed_table: str,
    *,
    verdicts_available: bool,
) -> list[ClaimResult]:
    """Answer every claim against the case (signatures must be computed); replaces
    ``claim_results`` and ``claim_rows`` (the rows each measured figure counts)."""
    engine = case.engine
    has_posts = case.count("posts") > 0
    ref = cf.reference_date
    results: list[ClaimResult] = []
    rows_sql: list[str] = []
    for c in cf.claims:
        spec = KINDS[c.kind]
        stated = float(c.stated) if c.stated is not None else stated_figure(c.params)
        base = dict(claim_id=c.id, kind=c.kind, statement=c.statement, claimed_by=c.by, params=c.params, stated=stated, note=c.note)

        def untestable(why: str) -> ClaimResult:
            return ClaimResult(**base, status="not testable", measured=None, measured_text="", n=None, method=why, reason=why)

        if not spec.testable:
            reason = c.params.get("reason") or spec.default_reason
            results.append(untestable(f"not testable from this data: {reason}"))
            continue
        if spec.needs_posts and not has_posts:
            results.append(untestable("not testable without tweets: the case holds account metadata only"))
            continue
        if spec.needs_detection and not verdicts_available:
            results.append(untestable("not testable before detection: run `cibscope detect` first"))
            continue
        m = _measure(engine, c, claimed_table, ref, has_posts)
        if isinstance(m, str):
            results.append(untestable(m))
            continue
        status, value, text, test, reason = _check(c.params, m)
        share = (m.count / m.n) if m.n else None
        results.append(ClaimResult(**base, status=status, measured=value, measured_text=text, n=m.n, method=m.method,
                                   count=float(m.count), share=share, unit=m.unit, test=test, reason=reason, rows_label=m.rows_label))
        if m.rows:
            rows_sql.append(f"SELECT {_lit(c.id)} AS claim_id, account_id, post_id, CAST(value AS VARCHAR) AS value FROM ({m.rows})")
    stored = []
    for r in results:
        d = r.as_dict()
        d["params"] = json.dumps(r.params, default=str, ensure_ascii=False)
        stored.append(d)
    replace_rows(engine, CLAIM_RESULTS, stored)
    replace_rows(engine, CLAIM_ROWS, [])
    if rows_sql:
        engine.execute(f"INSERT INTO claim_rows SELECT * FROM ({' UNION ALL '.join(rows_sql)}) ORDER BY claim_id, account_id, post_id")
    return results


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _one(engine: Engine, sql: str, params: list[Any] | None = None) -> tuple[Any, ...]:
    row = engine.execute(sql, params or []).fetchone()
    assert row is not None
    return tuple(row)


def _sql_value(v: Any) -> str:
    """A claim parameter as a SQL literal (numbers and strings only)."""
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise InputError(f"claim parameter {v!r} must be a number or text")
    return repr(v) if not isinstance(v, str) else _lit(v)


def _measure(engine: Engine, c: Claim, claimed: str, ref: datetime | None, has_posts: bool) -> _Measure | str:
    k, p = c.kind, c.params
    sig = f"(SELECT s.* FROM signatures s JOIN {claimed} USING (account_id))"

    def acc_rows(pred: str, value: str, where: str = "true") -> str:
        return f"SELECT account_id, CAST(NULL AS VARCHAR) AS post_id, {value} AS value FROM {sig} WHERE ({where}) AND ({pred})"

    if k == "account_count":
        (n,) = _one(engine, f"SELECT count(*) FROM {sig}")
        (listed,) = _one(engine, f"SELECT count(*) FROM {claimed}")
        return _Measure(n, int(listed), f"claimed account ids found in the case (users file or posts), of {listed} listed",
                        rows=acc_rows("true", "'in the case'"), rows_label="")
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
        where = f"created_at IS NOT NULL AND {ref_sql} IS NOT NULL"
        cnt, n = _one(engine, f"SELECT count(*) FILTER (WHERE {pred}), count(*) FROM {sig} WHERE {where}")
        rng = f"{'' if lo is None else f'>= {lo} '}{'' if hi is None else f'<= {hi} '}days".strip()
        return _Measure(cnt, n, f"accounts whose age from account creation to {ref_txt} is {rng}; n = accounts with a creation date",
                        rows=acc_rows(pred, f"CAST(floor({age}) AS BIGINT)", where), rows_label=f"age in days at {ref_txt}")
    if k == "count_followers_above":
        t = p["threshold"]
        pred = f"follower_count > {_sql_value(t)}"
        cnt, n = _one(engine, f"SELECT count(*) FILTER (WHERE {pred}), count(*) FROM {sig} WHERE follower_count IS NOT NULL")
        return _Measure(cnt, n, f"accounts with follower_count > {t} (as recorded in the archive at suspension)",
                        rows=acc_rows(pred, "follower_count", "follower_count IS NOT NULL"), rows_label="followers")
    if k == "creation_bursts":
        cnt, n = _one(engine, f"SELECT count(*) FILTER (WHERE creation_burst), count(*) FROM {sig} WHERE creation_burst IS NOT NULL")
        value = "strftime(created_at, '%Y-%m-%d') || ' (' || creation_day_count || ' accounts that day)'"
        return _Measure(cnt, n, "accounts created on a day with >= burst_min_accounts creations and Poisson p <= burst_max_p given the other days' rate",
                        rows=acc_rows("creation_burst", value, "creation_burst IS NOT NULL"), rows_label="created (burst day)")
    if k == "account_language":
        langs = [str(x).lower() for x in p["languages"]]
        pred = " OR ".join(f"lower(account_language) = {_lit(lang)} OR starts_with(lower(account_language), {_lit(lang + '-')})" for lang in langs)
        cnt, n = _one(engine, f"SELECT count(*) FILTER (WHERE {pred}), count(*) FROM {sig} WHERE account_language IS NOT NULL")
        return _Measure(cnt, n, f"accounts whose account_language is one of {langs} (case-insensitive, prefix before '-')",
                        rows=acc_rows(pred, "account_language", "account_language IS NOT NULL"), rows_label="interface language")
    post_value = "left(regexp_replace(coalesce(text, ''), '\\s+', ' ', 'g'), 200)"
    if k == "political_share":
        pred = political_sql("text")
        cnt, n = _one(engine, f"SELECT count(*) FILTER (WHERE {pred}), count(*) FROM posts JOIN {claimed} USING (account_id)")
        return _Measure(cnt, n, "posts of the claimed accounts matching the shipped political lexicon (en + zh)", "posts",
                        rows=f"SELECT account_id, post_id, {post_value} AS value FROM posts JOIN {claimed} USING (account_id) WHERE {pred}",
                        rows_label="text")
    if k == "topic_terms":
        terms = [str(t).lower() for t in p["terms"]]
        min_posts = int(p.get("min_posts", 1))
        pred = " OR ".join(f"contains(lower(coalesce(text, '')), {_lit(t)})" for t in terms)
        per = f"SELECT account_id, count(*) FILTER (WHERE {pred}) AS hits FROM posts JOIN {claimed} USING (account_id) GROUP BY 1"
        cnt, n = _one(engine, f"SELECT count(*) FILTER (WHERE hits >= {min_posts}), count(*) FROM ({per})")
        return _Measure(cnt, n, f"claimed accounts with >= {min_posts} post(s) containing any of {terms}; n = claimed accounts with posts",
                        rows=f"SELECT account_id, CAST(NULL AS VARCHAR) AS post_id, hits AS value FROM ({per}) WHERE hits >= {min_posts}",
                        rows_label="posts with a term")
    if k == "spammy":
        min_acc = int(p.get("min_accounts", 3))
        t = f"""WITH t AS (SELECT account_id, post_id, text, coalesce(text_norm, lower(text)) AS tx FROM posts
                           WHERE kind IS DISTINCT FROM 'repost' AND coalesce(text_norm, text) IS NOT NULL
                             AND length(coalesce(text_norm, text)) > 0),
                    shared AS (SELECT tx FROM t GROUP BY tx HAVING count(DISTINCT account_id) >= {min_acc})"""
        cnt, n = _one(engine, f"{t} SELECT count(*) FILTER (WHERE tx IN (SELECT tx FROM shared)), count(*) FROM t JOIN {claimed} USING (account_id)")
        return _Measure(cnt, n, f"original posts (not reposts) of the claimed accounts whose normalised text was posted by >= {min_acc} accounts in the case (copy-paste spam)", "posts",
                        rows=f"{t} SELECT account_id, post_id, {post_value} AS value FROM t JOIN {claimed} USING (account_id) WHERE tx IN (SELECT tx FROM shared)",
                        rows_label="text")
    if k == "repurposed":
        cnt, n = _one(engine, f"SELECT count(*) FILTER (WHERE repurposed), count(*) FROM {sig} WHERE n_posts > 0")
        return _Measure(cnt, n, "accounts with the repurposed signature; n = claimed accounts with posts",
                        rows=acc_rows("repurposed", "strftime(changepoint_at, '%Y-%m-%d')", "n_posts > 0"), rows_label="political from")
    if k == "nonpolitical_history":
        min_days = float(p.get("min_days", 365))
        min_posts = int(p.get("min_posts", 10))
        pred = f"""(first_political_at IS NULL AND n_posts >= {min_posts} AND (epoch(last_post_at) - epoch(first_post_at)) / 86400.0 >= {min_days})
                 OR (first_political_at IS NOT NULL AND n_before_first_political >= {min_posts}
                     AND (epoch(first_political_at) - epoch(first_post_at)) / 86400.0 >= {min_days})"""
        cnt, n = _one(engine, f"SELECT count(*) FILTER (WHERE {pred}), count(*) FROM {sig} WHERE n_posts > 0")
        value = "coalesce(CAST(n_before_first_political AS VARCHAR) || ' posts before ' || strftime(first_political_at, '%Y-%m-%d'), 'never political')"
        return _Measure(cnt, n, f"accounts with >= {min_posts} posts over >= {min_days:g} days before their first political post (or with no political post at all)",
                        rows=acc_rows(pred, value, "n_posts > 0"), rows_label="non-political history")
    if k == "posting_timezone":
        off = int(p["utc_offset"])
        tol = int(p.get("tolerance_hours", 1))
        min_posts = int(p.get("min_posts", 20))
        diff = f"least(abs(inferred_utc_offset - {off}), 24 - abs(inferred_utc_offset - {off}))"
        where = f"inferred_utc_offset IS NOT NULL AND n_posts >= {min_posts}"
        cnt, n = _one(engine, f"SELECT count(*) FILTER (WHERE {diff} <= {tol}), count(*) FROM {sig} WHERE {where}")
        return _Measure(cnt, n, f"accounts with >= {min_posts} posts whose inferred UTC offset (activity centre at local 13:30) is within {tol} h of UTC{off:+d}",
                        rows=acc_rows(f"{diff} <= {tol}", "inferred_utc_offset", where), rows_label="inferred UTC offset")
    if k == "office_hours":
        cnt, n = _one(engine, f"SELECT count(*) FILTER (WHERE office_hours), count(*) FROM {sig} WHERE office_hours IS NOT NULL")
        return _Measure(cnt, n, "accounts with the office-hours signature (see docs/audit.md)",
                        rows=acc_rows("office_hours", "round(office_hours_share, 3)", "office_hours IS NOT NULL"), rows_label="office-hours share")
    if k == "coordinated":
        pred = "verdict IN ('strong', 'moderate')"
        cnt, n = _one(engine, f"SELECT count(*) FILTER (WHERE {pred}), count(*) FROM audit_verdicts JOIN {claimed} USING (account_id)")
        return _Measure(cnt, n, "claimed accounts with a strong or moderate coordination verdict",
                        rows=f"SELECT account_id, CAST(NULL AS VARCHAR) AS post_id, verdict AS value FROM audit_verdicts JOIN {claimed} USING (account_id) WHERE {pred}",
                        rows_label="verdict")
    raise AssertionError(f"unhandled kind {k}")  # pragma: no cover - KINDS and _measure agree


def _parse_date(s: str) -> datetime | None:
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        return None
