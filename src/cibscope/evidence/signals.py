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
    At least half of the account's original posts (>= 5) are near-duplicates of another
    account's post (near_duplicate's text clusters holding posts of >= 2 accounts).
``no_engagement``
    Its original posts (>= 5, with interaction counts in the data) drew fewer than one
    interaction (like, repost, reply, quote) per 20 posts.
``workday_rhythm``
    An office schedule in *some* time zone: >= 20 timed posts over >= 3 weeks, at most 5% on
    weekends (UTC) and >= 85% inside its busiest 10 consecutive hours of the day. No time zone
    is assumed; the evidence names the UTC window (and the offset that makes it 09:00-19:00).
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
    At least half of its reposts and replies (>= 3) go to posts of fellow members (retweet
    rings; seed accounts amplified by their group).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping

import numpy as np
import pyarrow as pa
from scipy import stats

from ..networks.significance import adjust_pvalues
from ..params import Interval, validate

__all__ = ["SIGNALS", "SignalParams", "GroupSignal", "group_signals", "signal_table", "SIGNAL_COLUMNS"]

SIGNALS: tuple[str, ...] = (
    "copy_paste",
    "no_engagement",
    "workday_rhythm",
    "shared_client",
    "creation_burst",
    "reactivated",
    "templated_profile",
    "internal_amplification",
)

#: human wording of each trait, for details and reports
SIGNAL_LABELS: dict[str, str] = {
    "copy_paste": "posts copies of other accounts' texts",
    "no_engagement": "posts draw no engagement",
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
    "workday_min_posts": Interval(int, 1, None),
    "workday_min_weeks": Interval(int, 1, None),
    "workday_max_weekend": Interval(float, 0.0, 1.0),
    "workday_hours": Interval(int, 1, 23),
    "workday_min_share": Interval(float, 0.0, 1.0),
    "creation_window_days": Interval(int, 1, None),
    "dormancy_days": Interval(float, 0.0, None, closed="neither"),
    "dormancy_min_after": Interval(int, 1, None),
    "amplification_min_posts": Interval(int, 1, None),
    "amplification_min_share": Interval(float, 0.0, 1.0),
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
    workday_min_posts: int = 20
    workday_min_weeks: int = 3
    workday_max_weekend: float = 0.05
    workday_hours: int = 10
    workday_min_share: float = 0.85
    creation_window_days: int = 7
    dormancy_days: float = 180.0
    dormancy_min_after: int = 5
    amplification_min_posts: int = 3
    amplification_min_share: float = 0.5

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


def _features(con: Any) -> dict[str, dict[str, Any]]:
    """Per account: post counts, engagement, timing, client, creation, dormancy, copies, template links."""
    out: dict[str, dict[str, Any]] = {}
    for row in con.execute(
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
    for acc, created, source, followers in con.execute(
        "SELECT account_id, min(created_at), min(source_file || ':' || CAST(source_line AS VARCHAR)), max(follower_count) "
        "FROM accounts WHERE account_id IS NOT NULL GROUP BY account_id ORDER BY account_id"
    ).fetchall():
        f = out.setdefault(acc, {"n_posts": 0, "n_orig": 0, "n_eng": 0, "engagement": 0, "n_timed": 0, "n_weekend": 0, "n_weeks": 0})
        f["created_at"] = created
        f["account_source"] = source
        f["followers"] = None if followers is None else int(followers)
    hist = con.execute(
        "SELECT account_id, CAST(hour(created_at) AS INTEGER), count(*) FROM posts WHERE created_at IS NOT NULL "
        "AND time_precision IN ('second', 'minute') GROUP BY 1, 2"
    ).fetchall()
    for acc, h, n in hist:
        f = out.get(acc)
        if f is not None:
            f.setdefault("hours", np.zeros(24, dtype=np.int64))[int(h)] = int(n)
    for acc, client, n, total in con.execute(
        "SELECT account_id, arg_max(client, c), max(c), sum(c) FROM ("
        "SELECT account_id, client, count(*) AS c FROM posts WHERE client IS NOT NULL AND client <> '' GROUP BY 1, 2) "
        "GROUP BY 1"
    ).fetchall():
        if acc in out:
            out[acc]["client"] = client
            out[acc]["client_share"] = float(n) / float(total) if total else 0.0
    for acc, gap, gap_start, gap_end in con.execute(
        "SELECT account_id, max(gap), arg_max(prev, gap), arg_max(created_at, gap) FROM ("
        "SELECT account_id, created_at, lag(created_at) OVER (PARTITION BY account_id ORDER BY created_at, post_id) AS prev, "
        "epoch(created_at) - epoch(lag(created_at) OVER (PARTITION BY account_id ORDER BY created_at, post_id)) AS gap "
        "FROM posts WHERE created_at IS NOT NULL) WHERE gap IS NOT NULL GROUP BY 1"
    ).fetchall():
        if acc in out:
            out[acc]["max_gap_days"] = float(gap) / 86400.0
            out[acc]["gap_start"] = gap_start
            out[acc]["gap_end"] = gap_end
    after = con.execute(
        "SELECT p.account_id, count(*) FROM posts p JOIN (SELECT account_id, arg_max(created_at, gap) AS gap_end FROM ("
        "SELECT account_id, created_at, epoch(created_at) - epoch(lag(created_at) OVER (PARTITION BY account_id ORDER BY created_at, post_id)) AS gap "
        "FROM posts WHERE created_at IS NOT NULL) WHERE gap IS NOT NULL GROUP BY 1) g "
        "ON g.account_id = p.account_id AND p.created_at >= g.gap_end GROUP BY 1"
    ).fetchall()
    for acc, n in after:
        if acc in out:
            out[acc]["posts_after_gap"] = int(n)
    for acc, n_copy in con.execute(
        "SELECT k.account_id, count(DISTINCT k.post_id) FROM post_keys AS k "
        "JOIN (SELECT key FROM post_keys WHERE layer = 'near_duplicate' GROUP BY key HAVING count(DISTINCT account_id) >= 2) AS c "
        "ON c.key = k.key JOIN posts AS p ON p.post_id = k.post_id "
        "WHERE k.layer = 'near_duplicate' AND p.kind = 'post' GROUP BY 1"
    ).fetchall():
        if acc in out:
            out[acc]["n_copies"] = int(n_copy)
    for acc, n in con.execute(
        "SELECT account_id, count(*) FROM (SELECT account_a AS account_id FROM edges WHERE layer = 'profile_template' "
        "UNION ALL SELECT account_b FROM edges WHERE layer = 'profile_template') GROUP BY 1"
    ).fetchall():
        if acc in out:
            out[acc]["template_links"] = int(n)
    return out


def _indicator(name: str, f: Mapping[str, Any], p: SignalParams) -> bool | None:
    """The account-level traits (None: the account cannot be assessed)."""
    if name == "copy_paste":
        if f["n_orig"] < p.copy_min_posts:
            return None
        return f.get("n_copies", 0) / f["n_orig"] >= p.copy_min_share
    if name == "no_engagement":
        if f["n_eng"] < p.engagement_min_posts:
            return None
        return f["engagement"] / f["n_eng"] < p.engagement_max
    if name == "workday_rhythm":
        if f["n_timed"] < p.workday_min_posts or f["n_weeks"] < p.workday_min_weeks or "hours" not in f:
            return None
        return f["n_weekend"] / f["n_timed"] <= p.workday_max_weekend and _busiest(f["hours"], p.workday_hours)[1] >= p.workday_min_share
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


ACCOUNT_LEVEL = ("copy_paste", "no_engagement", "workday_rhythm", "reactivated", "templated_profile")


# ---------------------------------------------------------------------------------------------
# the tests


def _binom_sf(k: int, n: int, pi: float) -> float:
    if k <= 0 or n <= 0:
        return 1.0
    return float(stats.binom.sf(k - 1, n, min(max(pi, 0.0), 1.0)))


def _fmt_share(k: int, n: int) -> str:
    return f"{k} of {n} members ({100.0 * k / n:.0f}%)" if n else "no assessable member"


def group_signals(
    con: Any,
    membership: Mapping[str, int],
    params: SignalParams | None = None,
    *,
    groups: list[int] | None = None,
) -> list[GroupSignal]:
    """Test every trait on every group of ``membership`` (account -> group id), or on ``groups``.

    Returns one :class:`GroupSignal` per (group, trait) with at least one assessable member,
    sorted by group then trait; BH-adjusted over all of them.
    """
    p = params or SignalParams()
    p.validate()
    feats = _features(con)
    by_group: dict[int, list[str]] = {}
    for acc, g in membership.items():
        by_group.setdefault(int(g), []).append(acc)
    wanted = sorted(by_group) if groups is None else sorted(g for g in groups if g in by_group)
    raw: list[dict[str, Any]] = []
    # account-level traits: the case's totals once, each group's counts subtracted from them
    ind = {name: {a: _indicator(name, f, p) for a, f in feats.items()} for name in ACCOUNT_LEVEL}
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
            raw.append(_row(g, name, have, n, pi, 1.0, feats, p))
        raw.extend(r for r in (_client(g, members, feats, p, clients), _creation(g, members, feats, p, created)) if r is not None)
    raw.extend(_amplification(con, by_group, wanted, p, feats))
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
         what: str = "", evidence: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    k = len(have)
    pv = min(1.0, _binom_sf(k, n, pi) * factor)
    if evidence is None:
        evidence = [_account_evidence(name, a, feats[a], p) for a in have[:10]]
    return {"g": g, "signal": name, "k": k, "n": n, "pi": pi, "p": pv, "members": have, "evidence": evidence, "what": what}


def _account_evidence(name: str, acc: str, f: Mapping[str, Any], p: SignalParams) -> dict[str, Any]:
    """What one member's trait rests on (numbers a reader can recompute from the case)."""
    e: dict[str, Any] = {"account_id": acc}
    if name == "copy_paste":
        e.update(original_posts=f["n_orig"], copies=f.get("n_copies", 0))
    elif name == "no_engagement":
        e.update(original_posts_with_counts=f["n_eng"], interactions=f["engagement"], followers=f.get("followers"))
    elif name == "workday_rhythm":
        start, share = _busiest(f["hours"], p.workday_hours)
        e.update(
            timed_posts=f["n_timed"], weekend_posts=f["n_weekend"], weeks=f["n_weeks"],
            busiest_utc_hours=f"{start:02d}:00-{(start + p.workday_hours) % 24:02d}:00", share_in_them=round(share, 3),
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


def _amplification(con: Any, by_group: Mapping[int, list[str]], wanted: list[int], p: SignalParams,
                   feats: Mapping[str, Any]) -> list[dict[str, Any]]:
    """internal_amplification: reposts and replies going to fellow members, per group."""
    if not wanted:
        return []
    mem = pa.table({
        "account_id": pa.array([a for g in wanted for a in by_group[g]], pa.string()),
        "group_id": pa.array([g for g in wanted for _ in by_group[g]], pa.int64()),
    })
    con.register("_cib_sig_mem", mem)
    try:
        # per account: its amplifications (reposts + replies to another account), and per group how many went to members
        totals = dict(con.execute(
            "SELECT account_id, count(*) FROM posts WHERE kind IN ('repost', 'reply') "
            "AND coalesce(repost_of_account, reply_to_account) IS NOT NULL "
            "AND coalesce(repost_of_account, reply_to_account) <> account_id GROUP BY 1"
        ).fetchall())
        to_group = con.execute(
            "SELECT p.account_id, m.group_id, count(*), min(p.post_id), "
            "min(p.source_file || ':' || CAST(p.source_line AS VARCHAR)) FROM posts AS p "
            "JOIN _cib_sig_mem AS m ON m.account_id = coalesce(p.repost_of_account, p.reply_to_account) "
            "WHERE p.kind IN ('repost', 'reply') AND coalesce(p.repost_of_account, p.reply_to_account) <> p.account_id "
            "GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
    finally:
        con.unregister("_cib_sig_mem")
    assessable = {a for a, n in totals.items() if int(n) >= p.amplification_min_posts}
    hits: dict[int, dict[str, tuple[int, str, str]]] = {}
    for acc, g, n, post, src in to_group:
        if acc in assessable and int(n) / int(totals[acc]) >= p.amplification_min_share:
            hits.setdefault(int(g), {})[acc] = (int(n), str(post), str(src))
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
        ev = [{"account_id": a, "amplifications": int(totals[a]), "to_members": h[a][0], "example_post": h[a][1], "source": h[a][2]}
              for a in have[:10]]
        out.append(_row(g, "internal_amplification", have, n, pi, 1.0, feats, p, evidence=ev))
    return out


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
