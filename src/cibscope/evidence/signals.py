"""Is a coordinated group *inauthentic*? Account traits of operations, tested against the case.

Coordination alone also describes fan clubs, activists and people sharing the day's news. What
the analysts of state-backed takedowns (ASPI, SIO, Graphika, DFRLab) add is that the accounts
of an operation do not look like independent people: they were created in one batch, post
from one automation tool on someone's office schedule, paste the same texts, draw no
engagement, were dormant for months and came back for the campaign, amplify each other. Each
of these has benign causes, so none is tested on one account: each is tested on a **group**,
against the **case's own base rate**.

For a group ``G`` and a trait: ``n`` members can be assessed (enough posts, a creation date,
...), ``k`` of them show the trait, and ``pi`` is the share of the *other* accounts of the case
(assessable ones) that show it. The trait is over-represented when the binomial tail
``P(X >= k | n, pi)`` is small (times the number of choices made when the trait is defined
relative to the group -- which client, which creation week -- a Bonferroni factor). The p-values
of every (group, trait) test are adjusted together (Benjamini-Hochberg), and a trait **fires**
for the group when

* its q-value is at most ``alpha`` (0.01),
* it is at least ``min_lift`` (3) times as common in the group as in the rest of the case, and
* it describes the group: at least ``min_share`` (a third) of the assessable members and at
  least ``min_members`` (3) show it.

The last two are definitions, not tuned thresholds: "three times the case's rate, in at least
a third of the group" is what makes a trait a property of the group rather than of a few of its
members. The traits (``SIGNALS``; benign causes in docs/detection.md):

``copy_paste``
    At least half of the account's original posts (>= 5) are near-duplicates of texts that
    mostly the group posts (near_duplicate clusters holding posts of >= 2 accounts, at least half
    of them the group's): the group's own talking points. A copy that links to a site mostly
    other accounts share (a news article's headline through a share button; link shorteners
    say nothing about the site and are ignored) is a share, not the group's text.
``no_engagement``
    Its original posts (>= 5, with interaction counts in the data) drew fewer than one
    interaction (like, repost, reply, quote) per 20 posts.
``engagement_mismatch``
    An audience that does not engage: >= 100 followers, and interactions per original post per
    follower below the case's 5th percentile (accounts with >= 100 followers and >= 5 originals
    with counts): bought or inherited followers.
``workday_rhythm``
    An office schedule in *some* time zone: its share of timed posts made on weekdays inside its
    busiest 10 consecutive hours is above the case's 95th percentile (accounts with >= 20 timed
    posts over >= 3 weeks). No time zone is assumed; the evidence names the UTC window and the
    offset that makes it 09:00-19:00.
``shared_client``
    The account's main posting client is the group's most common main client (a scheduling or
    automation tool used by the whole group); x number of distinct main clients among members.
``creation_burst``
    Created within the group's densest ``creation_window_days`` (7) window; x number of
    candidate windows (distinct member creation days).
``reactivated``
    A silence of at least ``dormancy_days`` (180) between two posts, with >= 5 posts after it:
    dormant accounts brought back (bought, hacked or repurposed).
``templated_profile``
    A significant ``profile_template`` link: its bio or numbered display name follows a
    template another account shares.
``internal_amplification``
    At least half of its reposts and replies (>= 3) go to fellow members, among them at least 3
    different members who amplify fellow members too (retweet rings amplify themselves). Fans
    amplifying their star, or readers an outlet, which do not amplify them back, are not this
    trait, nor is everyone amplifying a single account.

Two traits are defined against the case's own distribution (the 5th and 95th percentiles), not
a fixed number: what counts as an unusual posting schedule or an unusually silent audience
depends on who is in the case.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pyarrow as pa
from scipy import stats

from ..case import engine_or_connection
from ..engine import Engine
from ..networks.significance import adjust_pvalues
from ..params import Interval, validate

if TYPE_CHECKING:
    from ..case import Case

__all__ = ["SIGNALS", "SignalParams", "GroupSignal", "group_signals", "signal_table", "SIGNAL_COLUMNS"]

SIGNALS: tuple[str, ...] = (
    "copy_paste",
    "no_engagement",
    "engagement_mismatch",
    "workday_rhythm",
    "shared_client",
    "creation_burst",
    "reactivated",
    "templated_profile",
    "internal_amplification",
)

#: human wording of each trait, for details and reports
SIGNAL_LABELS: dict[str, str] = {
    "copy_paste": "posts the group's copied texts",
    "no_engagement": "posts draw no engagement",
    "engagement_mismatch": "audience does not engage",
    "workday_rhythm": "posts on an office schedule",
    "shared_client": "posts from the group's one client",
    "creation_burst": "created in one burst",
    "reactivated": "dormant, then reactivated",
    "templated_profile": "templated profile",
    "internal_amplification": "amplifies fellow members",
}

PARAMETER_CONSTRAINTS = {
    "alpha": Interval(float, 0.0, 1.0, closed="right"),
    "min_lift": Interval(float, 1.0, None),
    "min_share": Interval(float, 0.0, 1.0),
    "min_members": Interval(int, 1, None),
    "min_signals": Interval(int, 1, None),
    "copy_min_posts": Interval(int, 1, None),
    "copy_min_share": Interval(float, 0.0, 1.0),
    "engagement_min_posts": Interval(int, 1, None),
    "engagement_max": Interval(float, 0.0, None),
    "mismatch_min_followers": Interval(int, 0, None),
    "mismatch_quantile": Interval(float, 0.0, 0.5, closed="right"),
    "workday_min_posts": Interval(int, 1, None),
    "workday_min_weeks": Interval(int, 1, None),
    "workday_hours": Interval(int, 1, 23),
    "workday_quantile": Interval(float, 0.5, 1.0, closed="left"),
    "creation_window_days": Interval(int, 1, None),
    "dormancy_days": Interval(float, 0.0, None, closed="neither"),
    "dormancy_min_after": Interval(int, 1, None),
    "amplification_min_posts": Interval(int, 1, None),
    "amplification_min_share": Interval(float, 0.0, 1.0),
    "amplification_min_targets": Interval(int, 1, None),
}


@dataclass(frozen=True)
class SignalParams:
    """The group-trait tests (see the module docstring); ``min_signals``: traits that must fire
    for a coordinated group to be called an operation (:mod:`cibscope.evidence.decision`)."""

    alpha: float = 0.01
    min_lift: float = 3.0
    min_share: float = 1 / 3
    min_members: int = 3
    min_signals: int = 1
    copy_min_posts: int = 5
    copy_min_share: float = 0.5
    engagement_min_posts: int = 5
    engagement_max: float = 0.05
    mismatch_min_followers: int = 100
    mismatch_quantile: float = 0.05
    workday_min_posts: int = 20
    workday_min_weeks: int = 3
    workday_hours: int = 10
    workday_quantile: float = 0.95
    creation_window_days: int = 7
    dormancy_days: float = 180.0
    dormancy_min_after: int = 5
    amplification_min_posts: int = 3
    amplification_min_share: float = 0.5
    amplification_min_targets: int = 3

    def validate(self) -> None:
        validate("signals", PARAMETER_CONSTRAINTS, self.__dict__)


@dataclass(frozen=True)
class GroupSignal:
    """One (group, trait) test. ``members``: the members showing the trait; ``evidence``: what
    it rests on, per member (JSON-able), for a reader to check."""

    group_id: int
    signal: str
    k: int
    n: int
    base_rate: float
    lift: float
    p_value: float
    q_value: float
    fired: bool
    detail: str
    members: tuple[str, ...]
    evidence: tuple[dict[str, Any], ...]


SIGNAL_COLUMNS = ("group_id", "signal", "k", "n", "base_rate", "lift", "p_value", "q_value", "fired", "detail", "evidence")


# ---------------------------------------------------------------------------------------------
# per-account features (one pass per family over the case tables)


def _features(eng: Engine) -> dict[str, dict[str, Any]]:
    """Per account: post counts, engagement, timing, client, creation, dormancy, copies, template links."""
    out: dict[str, dict[str, Any]] = {}
    for row in eng.execute(
        """
        SELECT account_id, count(*) AS n_posts,
               count(*) FILTER (WHERE kind = 'post') AS n_orig,
               count(*) FILTER (WHERE kind = 'post' AND (like_count IS NOT NULL OR repost_count IS NOT NULL
                                OR reply_count IS NOT NULL OR quote_count IS NOT NULL)) AS n_eng,
               coalesce(sum(coalesce(like_count, 0) + coalesce(repost_count, 0) + coalesce(reply_count, 0)
                            + coalesce(quote_count, 0)) FILTER (WHERE kind = 'post'), 0) AS engagement,
               count(*) FILTER (WHERE created_at IS NOT NULL AND time_precision IN ('second', 'minute')) AS n_timed,
               count(*) FILTER (WHERE created_at IS NOT NULL AND time_precision IN ('second', 'minute')
                                AND isodow(created_at) >= 6) AS n_weekend,
               count(DISTINCT date_trunc('week', created_at)) FILTER (
                   WHERE created_at IS NOT NULL AND time_precision IN ('second', 'minute')) AS n_weeks
        FROM posts WHERE account_id IS NOT NULL GROUP BY account_id ORDER BY account_id
        """
    ).fetchall():
        out[row[0]] = {
            "n_posts": int(row[1]), "n_orig": int(row[2]), "n_eng": int(row[3]), "engagement": int(row[4]),
            "n_timed": int(row[5]), "n_weekend": int(row[6]), "n_weeks": int(row[7]),
        }
    for acc, created, source, followers in eng.execute(
        "SELECT account_id, min(created_at), min(source_file || ':' || CAST(source_line AS VARCHAR)), max(follower_count) "
        "FROM accounts WHERE account_id IS NOT NULL GROUP BY account_id ORDER BY account_id"
    ).fetchall():
        f = out.setdefault(acc, {"n_posts": 0, "n_orig": 0, "n_eng": 0, "engagement": 0, "n_timed": 0, "n_weekend": 0, "n_weeks": 0})
        f["created_at"] = created
        f["account_source"] = source
        f["followers"] = None if followers is None else int(followers)
    hist = eng.execute(
        "SELECT account_id, CAST(hour(created_at) AS INTEGER), isodow(created_at) >= 6, count(*) FROM posts "
        "WHERE created_at IS NOT NULL AND time_precision IN ('second', 'minute') GROUP BY 1, 2, 3"
    ).fetchall()
    for acc, h, weekend, n in hist:
        f = out.get(acc)
        if f is not None:
            f.setdefault("hours", np.zeros(24, dtype=np.int64))[int(h)] += int(n)
            if not weekend:
                f.setdefault("weekday_hours", np.zeros(24, dtype=np.int64))[int(h)] += int(n)
    for acc, client, n, total in eng.execute(
        "SELECT account_id, arg_max(client, (c, client)), max(c), sum(c) FROM ("
        "SELECT account_id, client, count(*) AS c FROM posts WHERE client IS NOT NULL AND client <> '' GROUP BY 1, 2) "
        "GROUP BY 1"
    ).fetchall():
        if acc in out:
            out[acc]["client"] = client
            out[acc]["client_share"] = float(n) / float(total) if total else 0.0
    # the longest silence between two posts, and the posts from its end on, in one window pass
    for acc, gap, gap_start, gap_end, after in eng.execute(
        "SELECT account_id, max(gap), arg_max(prev, (gap, -rn)), arg_max(created_at, (gap, -rn)), arg_max(n - rn + 1, (gap, -rn)) FROM ("
        "SELECT account_id, created_at, lag(created_at) OVER w AS prev, "
        "epoch(created_at) - epoch(lag(created_at) OVER w) AS gap, row_number() OVER w AS rn, "
        "count(*) OVER (PARTITION BY account_id) AS n "
        "FROM posts WHERE created_at IS NOT NULL WINDOW w AS (PARTITION BY account_id ORDER BY created_at, post_id)) "
        "WHERE gap IS NOT NULL GROUP BY 1"
    ).fetchall():
        if acc in out:
            out[acc]["max_gap_days"] = float(gap) / 86400.0
            out[acc]["gap_start"] = gap_start
            out[acc]["gap_end"] = gap_end
            out[acc]["posts_after_gap"] = int(after)
    for acc, n in eng.execute(
        "SELECT account_id, count(*) FROM (SELECT account_a AS account_id FROM edges WHERE layer = 'profile_template' "
        "UNION ALL SELECT account_b FROM edges WHERE layer = 'profile_template') GROUP BY 1"
    ).fetchall():
        if acc in out:
            out[acc]["template_links"] = int(n)
    return out


def _office_score(f: Mapping[str, Any], p: SignalParams) -> float | None:
    """Share of the account's timed posts made on weekdays inside its busiest ``workday_hours``
    consecutive hours of the weekday (None: too few posts or weeks to say)."""
    if f["n_timed"] < p.workday_min_posts or f["n_weeks"] < p.workday_min_weeks or "weekday_hours" not in f:
        return None
    start, _ = _busiest(f["weekday_hours"], p.workday_hours)
    inside = sum(int(f["weekday_hours"][(start + i) % 24]) for i in range(p.workday_hours))
    return inside / f["n_timed"]


def _engagement_rate(f: Mapping[str, Any], p: SignalParams) -> float | None:
    """Interactions per original post per follower (None: too few followers or posts with counts)."""
    followers = f.get("followers")
    if f["n_eng"] < p.engagement_min_posts or followers is None or followers < p.mismatch_min_followers:
        return None
    return f["engagement"] / f["n_eng"] / (followers + 1)


def _thresholds(feats: Mapping[str, Mapping[str, Any]], p: SignalParams) -> dict[str, float]:
    """The case-relative cuts: the office score's upper and the engagement rate's lower quantile."""
    office = [v for f in feats.values() if (v := _office_score(f, p)) is not None]
    rate = [v for f in feats.values() if (v := _engagement_rate(f, p)) is not None]
    return {
        "workday_rhythm": float(np.quantile(office, p.workday_quantile)) if office else float("inf"),
        "engagement_mismatch": float(np.quantile(rate, p.mismatch_quantile)) if rate else float("-inf"),
    }


def _indicator(name: str, f: Mapping[str, Any], p: SignalParams, cut: Mapping[str, float]) -> bool | None:
    """The account-level traits (None: the account cannot be assessed)."""
    if name == "no_engagement":
        if f["n_eng"] < p.engagement_min_posts:
            return None
        return f["engagement"] / f["n_eng"] < p.engagement_max
    if name == "engagement_mismatch":
        r = _engagement_rate(f, p)
        return None if r is None else r < cut[name]
    if name == "workday_rhythm":
        v = _office_score(f, p)
        return None if v is None else v > cut[name]
    if name == "reactivated":
        if f["n_posts"] < 2:
            return None
        return f.get("max_gap_days", 0.0) >= p.dormancy_days and f.get("posts_after_gap", 0) >= p.dormancy_min_after
    if name == "templated_profile":
        return f.get("template_links", 0) > 0
    raise KeyError(name)


def _busiest(hours: np.ndarray, width: int) -> tuple[int, float]:
    """(start hour UTC, share of posts) of the busiest ``width`` consecutive hours (circular)."""
    tot = float(hours.sum())
    if tot <= 0:
        return 0, 0.0
    ext = np.concatenate([hours, hours[: width - 1]])
    sums = np.convolve(ext, np.ones(width, dtype=np.int64), mode="valid")[:24]
    start = int(np.argmax(sums))  # the first start among ties
    return start, float(sums[start]) / tot


ACCOUNT_LEVEL = ("no_engagement", "engagement_mismatch", "workday_rhythm", "reactivated", "templated_profile")


# ---------------------------------------------------------------------------------------------
# the tests


def _binom_sf(k: int, n: int, pi: float) -> float:
    if k <= 0 or n <= 0:
        return 1.0
    return float(stats.binom.sf(k - 1, n, min(max(pi, 0.0), 1.0)))


def _fmt_share(k: int, n: int) -> str:
    return f"{k} of {n} members ({100.0 * k / n:.0f}%)" if n else "no assessable member"


def group_signals(
    db: Case | Engine,
    membership: Mapping[str, int],
    params: SignalParams | None = None,
    *,
    groups: list[int] | None = None,
) -> list[GroupSignal]:
    """Test every trait on every group of ``membership`` (account -> group id), or on ``groups``.

    Returns one :class:`GroupSignal` per (group, trait) with at least one assessable member,
    sorted by group then trait; BH-adjusted over all of them.
    """
    eng = engine_or_connection(db)
    p = params or SignalParams()
    p.validate()
    feats = _features(eng)
    by_group: dict[int, list[str]] = {}
    for acc, g in membership.items():
        by_group.setdefault(int(g), []).append(acc)
    wanted = sorted(by_group) if groups is None else sorted(g for g in groups if g in by_group)
    raw: list[dict[str, Any]] = []
    # account-level traits: the case's totals once, each group's counts subtracted from them
    cut = _thresholds(feats, p)
    ind = {name: {a: _indicator(name, f, p, cut) for a, f in feats.items()} for name in ACCOUNT_LEVEL}
    totals = {name: (sum(1 for v in d.values() if v), sum(1 for v in d.values() if v is not None)) for name, d in ind.items()}
    clients: dict[str, int] = {}
    for f in feats.values():
        if f.get("client") is not None:
            clients[f["client"]] = clients.get(f["client"], 0) + 1
    created = np.sort(np.array([_epoch(f["created_at"]) for f in feats.values() if f.get("created_at") is not None], dtype=np.int64))
    for g in wanted:
        members = sorted(by_group[g])
        for name in ACCOUNT_LEVEL:
            vals = [(a, ind[name].get(a)) for a in members]
            assessed = [a for a, v in vals if v is not None]
            have = [a for a, v in vals if v]
            k, n = len(have), len(assessed)
            if n == 0:
                continue
            tk, tn = totals[name]
            out_n = tn - n
            pi = (tk - k) / out_n if out_n > 0 else 0.0
            raw.append(_row(g, name, have, n, pi, 1.0, feats, p, cut=cut))
        raw.extend(r for r in (_client(g, members, feats, p, clients), _creation(g, members, feats, p, created)) if r is not None)
    raw.extend(_amplification(eng, by_group, wanted, p, feats))
    raw.extend(_copies(eng, by_group, wanted, p, feats))
    if not raw:
        return []
    pv = np.array([r["p"] for r in raw], dtype=float)
    q = adjust_pvalues(pv, "bh")
    out: list[GroupSignal] = []
    for r, qv in zip(raw, q):
        k, n, pi = r["k"], r["n"], r["pi"]
        share = k / n if n else 0.0
        lift = share / pi if pi > 0 else (float("inf") if k else 0.0)
        fired = bool(qv <= p.alpha and lift >= p.min_lift and share >= p.min_share and k >= p.min_members)
        detail = (
            f"{SIGNAL_LABELS[r['signal']]}: {_fmt_share(k, n)}{r.get('what', '')} vs {100.0 * pi:.1f}% of the other accounts "
            f"(x{lift:.1f}" + ("" if np.isfinite(lift) else "") + f"), p={_fmt_p(float(r['p']))}, q={_fmt_p(float(qv))}"
        ).replace("(xinf)", "(none elsewhere)")
        out.append(
            GroupSignal(
                group_id=int(r["g"]), signal=r["signal"], k=int(k), n=int(n), base_rate=float(pi),
                lift=float(lift if np.isfinite(lift) else 1e9), p_value=float(r["p"]), q_value=float(qv), fired=fired,
                detail=detail, members=tuple(r["members"]), evidence=tuple(r["evidence"]),
            )
        )
    out.sort(key=lambda s: (s.group_id, SIGNALS.index(s.signal)))
    return out


def _fmt_p(p: float) -> str:
    return f"{p:.1e}" if p < 0.001 else f"{p:.3f}"


def _row(g: int, name: str, have: list[str], n: int, pi: float, factor: float, feats: Mapping[str, Any], p: SignalParams,
         what: str = "", evidence: list[dict[str, Any]] | None = None, cut: Mapping[str, float] | None = None) -> dict[str, Any]:
    k = len(have)
    pv = min(1.0, _binom_sf(k, n, pi) * factor)
    if evidence is None:
        evidence = [_account_evidence(name, a, feats[a], p, cut or {}) for a in have[:10]]
    return {"g": g, "signal": name, "k": k, "n": n, "pi": pi, "p": pv, "members": have, "evidence": evidence, "what": what}


def _account_evidence(name: str, acc: str, f: Mapping[str, Any], p: SignalParams, cut: Mapping[str, float]) -> dict[str, Any]:
    """What one member's trait rests on (numbers a reader can recompute from the case)."""
    e: dict[str, Any] = {"account_id": acc}
    if name == "no_engagement":
        e.update(original_posts_with_counts=f["n_eng"], interactions=f["engagement"], followers=f.get("followers"))
    elif name == "engagement_mismatch":
        e.update(original_posts_with_counts=f["n_eng"], interactions=f["engagement"], followers=f.get("followers"),
                 per_post_per_follower=_round(_engagement_rate(f, p)), case_quantile=_round(cut.get(name)))
    elif name == "workday_rhythm":
        start, _ = _busiest(f["weekday_hours"], p.workday_hours)
        e.update(
            timed_posts=f["n_timed"], weekend_posts=f["n_weekend"], weeks=f["n_weeks"],
            busiest_weekday_utc_hours=f"{start:02d}:00-{(start + p.workday_hours) % 24:02d}:00",
            share_on_weekdays_in_them=_round(_office_score(f, p)), case_quantile=_round(cut.get(name)),
            office_utc_offset=int(((9 - start + 12) % 24) - 12),
        )
    elif name == "reactivated":
        e.update(
            silent_days=round(float(f.get("max_gap_days", 0.0)), 1), silent_from=_iso(f.get("gap_start")),
            back_at=_iso(f.get("gap_end")), posts_after=f.get("posts_after_gap", 0),
        )
    elif name == "templated_profile":
        e.update(template_links=f.get("template_links", 0), source=f.get("account_source"))
    return e


def _round(v: float | None) -> float | None:
    return None if v is None or not np.isfinite(v) else float(f"{v:.4g}")


def _iso(v: Any) -> str | None:
    return None if v is None else str(v)


def _client(g: int, members: list[str], feats: Mapping[str, Any], p: SignalParams,
            overall: Mapping[str, int]) -> dict[str, Any] | None:
    """shared_client: members whose main client is the group's most common main client.
    ``overall``: main client -> number of accounts of the case with it."""
    counts: dict[str, int] = {}
    for a in members:
        c = feats.get(a, {}).get("client")
        if c is not None:
            counts[c] = counts.get(c, 0) + 1
    if not counts:
        return None
    top = min(counts, key=lambda c: (-counts[c], c))
    have = [a for a in members if feats.get(a, {}).get("client") == top]
    n = sum(counts.values())
    others = sum(overall.values()) - n
    pi = (overall.get(top, 0) - counts[top]) / others if others > 0 else 0.0
    ev = [{"account_id": a, "client": top, "share_of_posts": round(float(feats[a].get("client_share", 0.0)), 3)} for a in have[:10]]
    return _row(g, "shared_client", have, n, pi, float(len(counts)), feats, p, what=f" use {top!r}", evidence=ev)


def _creation(g: int, members: list[str], feats: Mapping[str, Any], p: SignalParams,
              everyone: np.ndarray) -> dict[str, Any] | None:
    """creation_burst: members created within the group's densest window of ``creation_window_days``.
    ``everyone``: the creation times (epoch seconds) of every account of the case, sorted."""
    dated = sorted((f["created_at"], a) for a in members if (f := feats.get(a)) is not None and f.get("created_at") is not None)
    if not dated:
        return None
    w = int(p.creation_window_days) * 86400
    secs = np.array([_epoch(d) for d, _ in dated], dtype=np.int64)
    ends = np.searchsorted(secs, secs + w, side="right")
    counts = ends - np.arange(len(secs))
    i = int(np.argmax(counts))  # the earliest densest window
    lo, hi = int(secs[i]), int(secs[i]) + w
    have = sorted(a for _, a in dated[i: int(ends[i])])
    in_window = int(np.searchsorted(everyone, hi, side="right") - np.searchsorted(everyone, lo, side="left"))
    others = everyone.size - len(dated)
    pi = (in_window - len(have)) / others if others > 0 else 0.0
    n_windows = len({int(x) // 86400 for x in secs})
    what = f" created {dated[i][0]:%Y-%m-%d} .. {(dated[i][0] + timedelta(days=p.creation_window_days)):%Y-%m-%d}"
    ev = [{"account_id": a, "created_at": str(feats[a]["created_at"]), "source": feats[a].get("account_source")} for a in have[:10]]
    return _row(g, "creation_burst", have, len(dated), pi, float(n_windows), feats, p, what=what, evidence=ev)


def _epoch(d: datetime) -> int:
    return int((d - _EPOCH).total_seconds() // 1)


_EPOCH = datetime(1970, 1, 1)


def _amplification(eng: Engine, by_group: Mapping[int, list[str]], wanted: list[int], p: SignalParams,
                   feats: Mapping[str, Any]) -> list[dict[str, Any]]:
    """internal_amplification: reposts and replies going to fellow members, per group."""
    if not wanted:
        return []
    mem = pa.table({
        "account_id": pa.array([a for g in wanted for a in by_group[g]], pa.string()),
        "group_id": pa.array([g for g in wanted for _ in by_group[g]], pa.int64()),
    })
    eng.register_arrow("_cib_sig_mem", mem)
    try:
        # per account: its amplifications (reposts + replies to another account), and per group how many went to members
        totals = dict(eng.execute(
            "SELECT account_id, count(*) FROM posts WHERE kind IN ('repost', 'reply') "
            "AND coalesce(repost_of_account, reply_to_account) IS NOT NULL "
            "AND coalesce(repost_of_account, reply_to_account) <> account_id GROUP BY 1"
        ).fetchall())
        # amplified members count only when they amplify fellow members too (a ring amplifies itself;
        # fans and readers amplify a star or an outlet that does not amplify them back)
        to_group = eng.execute(
            """
            WITH amp AS (
                SELECT p.account_id AS src, m.account_id AS dst, m.group_id, p.post_id,
                       p.source_file || ':' || CAST(p.source_line AS VARCHAR) AS source
                FROM posts AS p JOIN _cib_sig_mem AS m ON m.account_id = coalesce(p.repost_of_account, p.reply_to_account)
                WHERE p.kind IN ('repost', 'reply') AND m.account_id <> p.account_id),
            amplifiers AS (SELECT DISTINCT a.src AS account_id, a.group_id FROM amp AS a
                           JOIN _cib_sig_mem AS ms ON ms.account_id = a.src AND ms.group_id = a.group_id)
            SELECT a.src, a.group_id, count(*), count(DISTINCT a.dst) FILTER (WHERE r.account_id IS NOT NULL),
                   min(a.post_id), min(a.source)
            FROM amp AS a LEFT JOIN amplifiers AS r ON r.account_id = a.dst AND r.group_id = a.group_id
            GROUP BY 1, 2 ORDER BY 1, 2
            """
        ).fetchall()
    finally:
        eng.unregister("_cib_sig_mem")
    assessable = {a for a, n in totals.items() if int(n) >= p.amplification_min_posts}
    hits: dict[int, dict[str, tuple[int, str, str]]] = {}
    for acc, g, n, targets, post, src in to_group:
        if acc in assessable and int(n) / int(totals[acc]) >= p.amplification_min_share and int(targets) >= p.amplification_min_targets:
            hits.setdefault(int(g), {})[acc] = (int(n), str(post), str(src))
    return _relative_rows("internal_amplification", by_group, wanted, assessable, hits, feats, p, lambda a, h: {
        "account_id": a, "amplifications": int(totals[a]), "to_members": h[0], "example_post": h[1], "source": h[2]})


def _relative_rows(
    name: str, by_group: Mapping[int, list[str]], wanted: list[int], assessable: set[str],
    hits: Mapping[int, Mapping[str, tuple[int, str, str]]], feats: Mapping[str, Any], p: SignalParams,
    example: Any,
) -> list[dict[str, Any]]:
    """Rows of a trait defined relative to each group: ``hits[g]`` are the assessable accounts
    (members or not) that show it *towards* group g; the base rate is the share of the
    assessable non-members that do; ``example(account, hit)`` is a member's evidence."""
    n_assess = len(assessable)
    out = []
    for g in wanted:
        members = by_group[g]
        mset = set(members)
        n = sum(1 for a in members if a in assessable)
        if n == 0:
            continue
        h = hits.get(g, {})
        have = sorted(a for a in members if a in h)
        outside = sum(1 for a in h if a not in mset)
        pi = outside / (n_assess - n) if n_assess > n else 0.0
        out.append(_row(g, name, have, n, pi, 1.0, feats, p, evidence=[example(a, h[a]) for a in have[:10]]))
    return out


def _copies(eng: Engine, by_group: Mapping[int, list[str]], wanted: list[int], p: SignalParams,
            feats: Mapping[str, Any]) -> list[dict[str, Any]]:
    """copy_paste: members whose originals are mostly near-duplicates of texts mostly the group posts."""
    if not wanted:
        return []
    n_clusters = eng.execute("SELECT count(*) FROM post_keys WHERE layer = 'near_duplicate'").fetchall()[0][0]
    mem = pa.table({
        "account_id": pa.array([a for g in wanted for a in by_group[g]], pa.string()),
        "group_id": pa.array([g for g in wanted for _ in by_group[g]], pa.int64()),
    })
    rows: list[tuple[Any, ...]] = []
    if n_clusters:
        eng.register_arrow("_cib_sig_mem", mem)
        try:
            # per (account, group): its originals in clusters of >= 2 accounts at least half of them the group's
            rows = eng.execute(
                """
                WITH k AS (SELECT key, account_id, post_id FROM post_keys WHERE layer = 'near_duplicate'),
                ca AS (SELECT key, count(DISTINCT account_id) AS n_acc FROM k GROUP BY 1 HAVING count(DISTINCT account_id) >= 2),
                cg AS (SELECT k.key, m.group_id, count(DISTINCT k.account_id) AS n_mem FROM k
                       JOIN _cib_sig_mem AS m ON m.account_id = k.account_id GROUP BY 1, 2),
                own AS (SELECT cg.key, cg.group_id FROM cg JOIN ca ON ca.key = cg.key WHERE 2 * cg.n_mem >= ca.n_acc),
                cand AS (SELECT k.account_id, own.group_id, k.post_id FROM k JOIN own ON own.key = k.key
                         JOIN posts AS p ON p.post_id = k.post_id WHERE p.kind = 'post'),
                -- sites (not link shorteners) that mostly the group shares; a copy linking elsewhere is a share
                u AS (SELECT post_id, account_id, domain FROM post_urls
                      WHERE domain IS NOT NULL AND NOT coalesce(is_shortener, false)),
                dom AS (SELECT domain, count(DISTINCT account_id) AS n_acc FROM u GROUP BY 1),
                owndom AS (SELECT u.domain, m.group_id FROM u JOIN _cib_sig_mem AS m ON m.account_id = u.account_id
                           JOIN dom ON dom.domain = u.domain GROUP BY u.domain, m.group_id, dom.n_acc
                           HAVING 2 * count(DISTINCT u.account_id) >= dom.n_acc),
                shared AS (SELECT DISTINCT c.post_id, c.group_id FROM cand AS c JOIN u ON u.post_id = c.post_id
                           ANTI JOIN owndom AS o ON o.domain = u.domain AND o.group_id = c.group_id)
                SELECT c.account_id, c.group_id, count(DISTINCT c.post_id), min(c.post_id),
                       min(p.source_file || ':' || CAST(p.source_line AS VARCHAR))
                FROM cand AS c ANTI JOIN shared AS x ON x.post_id = c.post_id AND x.group_id = c.group_id
                JOIN posts AS p ON p.post_id = c.post_id
                GROUP BY 1, 2 ORDER BY 1, 2
                """
            ).fetchall()
        finally:
            eng.unregister("_cib_sig_mem")
    assessable = {a for a, f in feats.items() if f["n_orig"] >= p.copy_min_posts}
    hits: dict[int, dict[str, tuple[int, str, str]]] = {}
    for acc, g, n, post, src in rows:
        if acc in assessable and int(n) / feats[acc]["n_orig"] >= p.copy_min_share:
            hits.setdefault(int(g), {})[acc] = (int(n), str(post), str(src))
    return _relative_rows("copy_paste", by_group, wanted, assessable, hits, feats, p, lambda a, h: {
        "account_id": a, "original_posts": feats[a]["n_orig"], "copies_of_group_texts": h[0], "example_post": h[1], "source": h[2]})


def signal_table(signals: list[GroupSignal]) -> pa.Table:
    """The case table ``group_signals`` (columns :data:`SIGNAL_COLUMNS`)."""
    return pa.table({
        "group_id": pa.array([s.group_id for s in signals], pa.int32()),
        "signal": pa.array([s.signal for s in signals], pa.string()),
        "k": pa.array([s.k for s in signals], pa.int32()),
        "n": pa.array([s.n for s in signals], pa.int32()),
        "base_rate": pa.array([s.base_rate for s in signals], pa.float64()),
        "lift": pa.array([s.lift for s in signals], pa.float64()),
        "p_value": pa.array([s.p_value for s in signals], pa.float64()),
        "q_value": pa.array([s.q_value for s in signals], pa.float64()),
        "fired": pa.array([s.fired for s in signals], pa.bool_()),
        "detail": pa.array([s.detail for s in signals], pa.string()),
        "evidence": pa.array(
            [json.dumps({"members": list(s.members), "examples": list(s.evidence)}, ensure_ascii=False, default=str) for s in signals],
            pa.string(),
        ),
    })
