"""Per-account IO signatures, computed in DuckDB SQL over the case tables.

Why these: coordination evidence (shared items within seconds) says *that* accounts act
together; the signatures say whether they *look like* the accounts of a state-backed operation
as described by the analysts who studied such takedowns (ASPI, SIO, Graphika on China 2019/2020):
batches of accounts created on the same day with templated handles, posting on Beijing office
hours, one client app across a group, follower counts that do not match engagement, long
dormancy then reactivation, a long non-political history then a political pivot (repurposed or
bought accounts), and language shifts. None of these proves anything alone (an office worker
tweets at work, many people join on launch day); the audit therefore reports them beside the
coordination evidence and never lets them alone make a verdict stronger than "weak".

Every signature is a named column of the ``signatures`` case table; ``flags`` lists the ones
that fired and ``evidence`` (JSON) holds what each one rests on: post ids with file:line, the
creation cohort, the hour profile.

All times are UTC in the case; local hours are UTC + ``office_utc_offset``.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from ..case import Case
from ..params import Interval, validate
from ..progress import Progress, step
from ..schema import SIGNATURES
from ._util import fetch_dicts, replace_rows
from .changepoint import best_split
from .topic import political_sql

if TYPE_CHECKING:
    from ..engine.base import Engine

FLAG_COLUMNS = (
    "creation_burst",
    "office_hours",
    "client_homogeneous",
    "engagement_mismatch",
    "reactivated",
    "repurposed",
    "lang_shift",
)


@dataclass(frozen=True)
class SignatureParams:
    """Thresholds of the signatures; defaults are documented in docs/audit.md."""

    office_utc_offset: int = 8  # the hypothesis tested by the office-hours signal (Beijing = +8)
    office_start_hour: int = 9  # local working day [start, end)
    office_end_hour: int = 18
    office_min_share: float = 0.7  # share of posts inside weekday office hours
    office_min_lift: float = 1.5  # ... and at least this many times the dataset's share
    min_posts_rhythm: int = 20  # fewer posts say nothing reliable about a rhythm
    burst_min_accounts: int = 5  # a creation day with fewer accounts is never a burst
    burst_max_p: float = 1e-3  # Poisson tail probability of the day's count
    client_min_share: float = 0.9  # group's posts from its top client
    client_min_lift: float = 0.2  # ... and this much above the dataset's share of that client
    client_min_group: int = 3
    dormancy_days: float = 180.0  # a gap this long, then posting again, is a reactivation
    reactivation_min_posts: int = 5
    changepoint_min_llr: float = 20.0
    changepoint_min_size: int = 10  # posts on each side of a pivot
    repurpose_max_before: float = 0.2  # political share before the pivot at most
    repurpose_min_after: float = 0.5  # ... and after it at least
    repurpose_min_days_before: float = 180.0  # "a long history": days from first post to pivot
    followers_no_engagement: int = 1000  # followers at least ...
    max_engagement_per_post: float = 0.1  # ... but fewer interactions per original post
    engagement_no_followers: float = 5.0  # interactions per post at least ...
    max_followers_engaged: int = 10  # ... with fewer followers than this
    min_original_posts: int = 10
    reference_date: datetime | None = None  # for ages; default: the last post in the case

    CONSTRAINTS = {
        "office_utc_offset": Interval(int, -12, 14),
        "office_start_hour": Interval(int, 0, 23),
        "office_end_hour": Interval(int, 1, 24),
        "office_min_share": Interval(float, 0, 1),
        "office_min_lift": Interval(float, 0, None),
        "min_posts_rhythm": Interval(int, 1, None),
        "burst_min_accounts": Interval(int, 2, None),
        "burst_max_p": Interval(float, 0, 1, closed="right"),
        "client_min_share": Interval(float, 0, 1),
        "client_min_lift": Interval(float, 0, 1),
        "client_min_group": Interval(int, 2, None),
        "dormancy_days": Interval(float, 0, None, closed="neither"),
        "reactivation_min_posts": Interval(int, 1, None),
        "changepoint_min_llr": Interval(float, 0, None),
        "changepoint_min_size": Interval(int, 1, None),
        "repurpose_max_before": Interval(float, 0, 1),
        "repurpose_min_after": Interval(float, 0, 1),
        "repurpose_min_days_before": Interval(float, 0, None),
        "followers_no_engagement": Interval(int, 0, None),
        "max_engagement_per_post": Interval(float, 0, None),
        "engagement_no_followers": Interval(float, 0, None),
        "max_followers_engaged": Interval(int, 0, None),
        "min_original_posts": Interval(int, 1, None),
    }

    def validate(self) -> None:
        values = {k: v for k, v in asdict(self).items() if k in self.CONSTRAINTS}
        validate("signatures", self.CONSTRAINTS, values)


# ---------------------------------------------------------------------------------------------
# helpers


def handle_shape_sql(col: str) -> str:
    """SQL: a handle's shape, letters -> 'a' and digits -> '9' with runs collapsed, plus length.

    'wuming11xia' -> 'a9a/11'; 'john12345678' -> 'a9/12'. Accounts created in one batch by a
    script tend to share a shape (name + 8 digits), which organic sign-ups on a day rarely do.
    """
    low = f"lower({col})"
    return (
        f"regexp_replace(regexp_replace({low}, '[a-z]+', 'a', 'g'), '[0-9]+', '9', 'g')"
        f" || '/' || length({col})"
    )


def infer_utc_offset(hours: np.ndarray) -> int | None:
    """UTC offset that puts the circular mean of activity at local 13:30.

    13:30 is the centre of a 09:00-18:00 working day with a lunch hour, so work-day schedules
    are recovered exactly; leisure accounts whose activity peaks in the evening come out one to
    three hours east of their true zone. Descriptive only: the office-hours signal tests a
    stated offset instead of trusting this estimate. ``hours``: 24 counts by UTC hour.
    """
    total = hours.sum()
    if total <= 0:
        return None
    angles = (np.arange(24) + 0.5) / 24 * 2 * math.pi
    c = float((hours * np.cos(angles)).sum())
    s = float((hours * np.sin(angles)).sum())
    if abs(c) < 1e-9 and abs(s) < 1e-9:
        return None
    mean_hour = (math.atan2(s, c) / (2 * math.pi) * 24) % 24
    off = math.floor(13.5 - mean_hour + 0.5)
    off = ((off + 11) % 24) - 11  # into [-11, 12]
    return int(off)


def _ts(v: Any) -> str | None:
    return None if v is None else v.isoformat(sep=" ")


def _src(row: tuple[Any, ...] | None) -> str | None:
    if row is None or row[0] is None:
        return None
    return f"{row[0]}:{row[1]}"


# ---------------------------------------------------------------------------------------------


def compute_signatures(case: Case, params: SignatureParams | None = None, progress: Progress | None = None) -> int:
    """Compute every account's signatures and replace the ``signatures`` table; return its rows.

    Works on account files alone (no posts): then the post-based columns are NULL and only the
    metadata signatures (creation bursts, followers, ages at the reference date, language) fill.
    """
    p = params or SignatureParams()
    p.validate()
    engine = case.engine
    off = int(p.office_utc_offset)
    with step(progress, "labelling posts (political lexicon)"):
        engine.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _audit_posts AS
            SELECT post_id, account_id, created_at, time_precision, kind, lang, client,
                   {political_sql('text')} AS political,
                   coalesce(like_count, 0) + coalesce(repost_count, 0) + coalesce(reply_count, 0)
                     + coalesce(quote_count, 0) AS engagement,
                   created_at + to_hours({off}) AS local_at
            FROM posts WHERE account_id IS NOT NULL AND created_at IS NOT NULL
            """
        )
    n_posts_total = _scalar(engine, "SELECT count(*) FROM _audit_posts")
    ref = p.reference_date
    if ref is None and n_posts_total:
        ref = engine.execute("SELECT max(created_at) FROM _audit_posts").fetchone()[0]

    with step(progress, "account signatures (SQL)"):
        rows = _sql_signatures(engine, p, ref)
    with step(progress, "hour profiles and change points", total=len(rows)) as h:
        hours = _hour_profiles(engine)
        weekdays = _weekday_profiles(engine)
        seq = _sequences(engine) if n_posts_total else {}
        burst_examples = _burst_examples(engine, rows)
        _creation_p(rows)
        for r in rows:
            _python_signatures(r, p, hours.get(r["account_id"]), weekdays.get(r["account_id"]), seq.get(r["account_id"]))
            h.advance(1)
        _attach_post_sources(engine, rows)
        for r in rows:
            _finish(r, p, burst_examples)
    _store(engine, rows)
    engine.execute("DROP TABLE IF EXISTS _audit_posts")
    return len(rows)


def _scalar(engine: Engine, sql: str, params: list[Any] | None = None) -> Any:
    row = engine.execute(sql, params or []).fetchone()
    return None if row is None else row[0]


def _sql_signatures(engine: Engine, p: SignatureParams, ref: datetime | None) -> list[dict[str, Any]]:
    s, e = p.office_start_hour, p.office_end_hour
    office_pred = f"(isodow(local_at) <= 5 AND hour(local_at) >= {s} AND hour(local_at) < {e})"
    timed = "time_precision IS DISTINCT FROM 'day'"
    ref_lit = "NULL::TIMESTAMP" if ref is None else f"TIMESTAMP '{ref.isoformat(sep=' ')}'"
    sql = f"""
    WITH ids AS (
        SELECT account_id FROM accounts WHERE account_id IS NOT NULL
        UNION SELECT DISTINCT account_id FROM _audit_posts
    ),
    acc AS (
        SELECT account_id, any_value(created_at) AS created_at, any_value(screen_name) AS screen_name,
               any_value(display_name) AS display_name, bool_or(coalesce(is_hashed, false)) AS is_hashed,
               max(follower_count) AS follower_count, max(following_count) AS following_count,
               any_value(account_language) AS account_language
        FROM accounts GROUP BY account_id
    ),
    a AS (
        SELECT ids.account_id, acc.created_at, acc.follower_count, acc.following_count, acc.account_language,
               CASE WHEN acc.screen_name IS NULL OR acc.is_hashed
                         OR (acc.screen_name = acc.account_id AND acc.screen_name = acc.display_name)
                    THEN NULL ELSE {handle_shape_sql('acc.screen_name')} END AS handle_shape,
               CAST(acc.created_at AS DATE) AS created_day,
               date_trunc('week', acc.created_at) AS created_week
        FROM ids LEFT JOIN acc USING (account_id)
    ),
    day_counts AS (SELECT created_day, count(*) AS n FROM a WHERE created_day IS NOT NULL GROUP BY 1),
    week_counts AS (SELECT created_week, count(*) AS n FROM a WHERE created_week IS NOT NULL GROUP BY 1),
    shape_counts AS (SELECT created_day, handle_shape, count(*) AS n FROM a
                     WHERE created_day IS NOT NULL AND handle_shape IS NOT NULL GROUP BY 1, 2),
    span AS (SELECT count(*) AS n_dated, max(created_day) - min(created_day) + 1 AS span_days FROM a
             WHERE created_day IS NOT NULL),
    agg AS (
        SELECT account_id, count(*) AS n_posts, sum(political::INT) AS n_political,
               min(created_at) AS first_post_at, max(created_at) AS last_post_at,
               min(created_at) FILTER (WHERE political) AS first_political_at,
               count(*) FILTER (WHERE kind IS DISTINCT FROM 'repost') AS n_original,
               sum(engagement) FILTER (WHERE kind IS DISTINCT FROM 'repost') AS engagement_sum,
               count(*) FILTER (WHERE {timed}) AS n_timed,
               count(*) FILTER (WHERE {timed} AND {office_pred}) AS n_office,
               count(*) FILTER (WHERE {timed} AND isodow(local_at) >= 6) AS n_weekend,
               count(*) FILTER (WHERE {timed} AND isodow(local_at) <= 5 AND hour(local_at) = 12) AS n_lunch,
               count(*) FILTER (WHERE {timed} AND isodow(local_at) <= 5 AND hour(local_at) IN (10, 11, 14, 15)) AS n_around_lunch,
               count(DISTINCT client) AS n_clients,
               count(DISTINCT lang) AS n_langs
        FROM _audit_posts GROUP BY account_id
    ),
    before_pol AS (
        SELECT t.account_id, count(*) AS n FROM _audit_posts t JOIN agg USING (account_id)
        WHERE t.created_at < agg.first_political_at GROUP BY 1
    ),
    clients AS (
        SELECT account_id, client, count(*) AS n FROM _audit_posts WHERE client IS NOT NULL GROUP BY 1, 2
    ),
    top_client AS (
        SELECT account_id, arg_max(client, (n, client)) AS top_client, max(n) / sum(n) AS top_client_share
        FROM clients GROUP BY 1
    ),
    langs AS (
        SELECT account_id, lang, count(*) AS n FROM _audit_posts WHERE lang IS NOT NULL GROUP BY 1, 2
    ),
    top_lang AS (
        SELECT account_id, arg_max(lang, (n, lang)) AS top_lang, max(n) / sum(n) AS top_lang_share FROM langs GROUP BY 1
    ),
    gaps AS (
        SELECT account_id, post_id, created_at,
               lag(created_at) OVER w AS prev_at, lag(post_id) OVER w AS prev_id
        FROM _audit_posts WINDOW w AS (PARTITION BY account_id ORDER BY created_at, post_id)
    ),
    max_gap AS (
        SELECT account_id,
               arg_max(struct_pack(prev_at := prev_at, prev_id := prev_id, cur_at := created_at, cur_id := post_id),
                       (epoch(created_at) - epoch(prev_at), created_at, post_id)) AS g,
               max(epoch(created_at) - epoch(prev_at)) / 86400.0 AS max_gap_days
        FROM gaps WHERE prev_at IS NOT NULL GROUP BY 1
    ),
    after_gap AS (
        SELECT t.account_id, count(*) AS n FROM _audit_posts t JOIN max_gap m USING (account_id)
        WHERE t.created_at >= m.g.cur_at GROUP BY 1
    ),
    grp AS (
        SELECT account_id, min(group_id) AS group_id FROM group_members GROUP BY 1
    ),
    group_clients AS (
        SELECT g.group_id, t.client, count(*) AS n
        FROM _audit_posts t JOIN grp g USING (account_id) WHERE t.client IS NOT NULL GROUP BY 1, 2
    ),
    group_top AS (
        SELECT group_id, arg_max(client, (n, client)) AS group_top_client, max(n) / sum(n) AS group_client_share
        FROM group_clients GROUP BY 1
    ),
    group_sizes AS (SELECT group_id, count(*) AS group_members FROM grp GROUP BY 1),
    dataset_clients AS (
        SELECT client, count(*) / (SELECT count(*) FROM _audit_posts WHERE client IS NOT NULL) AS share
        FROM _audit_posts WHERE client IS NOT NULL GROUP BY 1
    ),
    dataset_office AS (
        SELECT avg({office_pred}::INT) AS share FROM _audit_posts WHERE {timed}
    )
    SELECT a.account_id, a.created_at, a.follower_count, a.following_count, a.account_language,
           a.handle_shape, a.created_day,
           dc.n AS creation_day_count, wc.n AS creation_week_count, sc.n AS creation_day_same_shape,
           CASE WHEN a.created_day IS NULL THEN NULL
                ELSE (span.n_dated - dc.n) / span.span_days::DOUBLE END AS creation_day_expected,
           agg.n_posts, agg.n_political, agg.first_post_at, agg.last_post_at, agg.first_political_at,
           coalesce(bp.n, CASE WHEN agg.first_political_at IS NOT NULL THEN 0 END) AS n_before_first_political,
           agg.n_original, agg.engagement_sum, agg.n_timed, agg.n_office, agg.n_weekend, agg.n_lunch,
           agg.n_around_lunch, agg.n_clients, agg.n_langs,
           (SELECT share FROM dataset_office) AS office_hours_share_dataset,
           {ref_lit} AS reference_at,
           tc.top_client, tc.top_client_share, tl.top_lang, tl.top_lang_share,
           mg.max_gap_days, mg.g.prev_at AS gap_start_at, mg.g.cur_at AS gap_end_at,
           mg.g.prev_id AS gap_start_post, mg.g.cur_id AS gap_end_post, ag.n AS posts_after_gap,
           grp.group_id, gs.group_members, gt.group_top_client, gt.group_client_share,
           dcl.share AS group_client_share_dataset
    FROM a
    LEFT JOIN day_counts dc USING (created_day)
    LEFT JOIN week_counts wc USING (created_week)
    LEFT JOIN shape_counts sc ON sc.created_day = a.created_day AND sc.handle_shape = a.handle_shape
    CROSS JOIN span
    LEFT JOIN agg USING (account_id)
    LEFT JOIN before_pol bp USING (account_id)
    LEFT JOIN top_client tc USING (account_id)
    LEFT JOIN top_lang tl USING (account_id)
    LEFT JOIN max_gap mg USING (account_id)
    LEFT JOIN after_gap ag USING (account_id)
    LEFT JOIN grp USING (account_id)
    LEFT JOIN group_sizes gs ON gs.group_id = grp.group_id
    LEFT JOIN group_top gt ON gt.group_id = grp.group_id
    LEFT JOIN dataset_clients dcl ON dcl.client = gt.group_top_client
    ORDER BY a.account_id
    """
    return fetch_dicts(engine, sql)


def _hour_profiles(engine: Engine) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for acc, h, n in engine.execute(
        "SELECT account_id, hour(created_at), count(*) FROM _audit_posts "
        "WHERE time_precision IS DISTINCT FROM 'day' GROUP BY 1, 2"
    ).fetchall():
        out.setdefault(acc, np.zeros(24, dtype=np.int64))[int(h)] = int(n)
    return out


def _weekday_profiles(engine: Engine) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for acc, d, n in engine.execute(
        "SELECT account_id, isodow(local_at), count(*) FROM _audit_posts "
        "WHERE time_precision IS DISTINCT FROM 'day' GROUP BY 1, 2"
    ).fetchall():
        out.setdefault(acc, np.zeros(7, dtype=np.int64))[int(d) - 1] = int(n)
    return out


@dataclass
class _Seq:
    political: np.ndarray
    lang: np.ndarray
    at: np.ndarray
    post_id: np.ndarray


def _sequences(engine: Engine) -> dict[str, _Seq]:
    """Each account's posts in time order: political flag, language, time, post id."""
    cols = engine.execute(
        "SELECT account_id, political::INT AS political, coalesce(lang, '') AS lang, created_at, post_id "
        "FROM _audit_posts ORDER BY account_id, created_at, post_id"
    ).fetchnumpy()
    acc = np.asarray(cols["account_id"], dtype=object)
    if len(acc) == 0:
        return {}
    starts = np.flatnonzero(np.r_[True, acc[1:] != acc[:-1]])
    ends = np.r_[starts[1:], len(acc)]
    pol = np.asarray(cols["political"], dtype=np.int64)
    lang = np.asarray(cols["lang"], dtype=object)
    at = np.asarray(cols["created_at"])
    pid = np.asarray(cols["post_id"], dtype=object)
    return {acc[s]: _Seq(pol[s:e], lang[s:e], at[s:e], pid[s:e]) for s, e in zip(starts, ends)}


def _burst_examples(engine: Engine, rows: list[dict[str, Any]]) -> dict[Any, list[str]]:
    """Up to 10 account ids per creation day (for the evidence of bursts)."""
    days = {r["created_day"] for r in rows if r.get("creation_day_count") and r["creation_day_count"] >= 2}
    if not days:
        return {}
    out: dict[Any, list[str]] = {}
    for r in rows:
        d = r.get("created_day")
        if d in days and len(out.setdefault(d, [])) < 10:
            out[d].append(r["account_id"])
    return out


def _creation_p(rows: list[dict[str, Any]]) -> None:
    """P(X >= the day's count) under Poisson(rate of the other days), for all rows at once."""
    idx = [i for i, r in enumerate(rows) if r["creation_day_count"] is not None and r["creation_day_expected"] is not None]
    for r in rows:
        r["creation_day_p"] = None
    if not idx:
        return
    n = np.array([rows[i]["creation_day_count"] for i in idx], dtype=float)
    lam = np.array([rows[i]["creation_day_expected"] for i in idx], dtype=float)
    with np.errstate(all="ignore"):
        pv = np.where(lam > 0, stats.poisson.sf(n - 1, np.where(lam > 0, lam, 1.0)), 0.0)
    for i, v in zip(idx, pv):
        rows[i]["creation_day_p"] = float(v)


def _python_signatures(r: dict[str, Any], p: SignatureParams, hours: np.ndarray | None, weekdays: np.ndarray | None, seq: _Seq | None) -> None:
    ev: dict[str, Any] = {}
    r["_ev"] = ev
    # ages
    created = r["created_at"]
    r["age_days_first_post"] = _days(created, r["first_post_at"])
    r["age_days_last_post"] = _days(created, r["last_post_at"])
    r["age_days_at_reference"] = _days(created, r["reference_at"])
    r["political_share"] = (r["n_political"] / r["n_posts"]) if r["n_posts"] else None
    # creation burst: Poisson tail of the day's count given the rate of the *other* days
    n_day = r["creation_day_count"]
    pval = r["creation_day_p"]
    if n_day is not None and pval is not None:
        r["creation_burst"] = bool(n_day >= p.burst_min_accounts and pval <= p.burst_max_p)
    else:
        r["creation_burst"] = None
    # rhythm
    n_timed = r["n_timed"] or 0
    if hours is not None and n_timed > 0:
        r["hour_profile"] = json.dumps([int(x) for x in hours])
        r["peak_hour_utc"] = int(np.argmax(hours))
        r["inferred_utc_offset"] = infer_utc_offset(hours)
    else:
        r["hour_profile"] = r["peak_hour_utc"] = r["inferred_utc_offset"] = None
    r["weekday_profile"] = json.dumps([int(x) for x in weekdays]) if weekdays is not None else None
    if n_timed > 0:
        r["office_hours_share"] = r["n_office"] / n_timed
        r["weekend_share"] = r["n_weekend"] / n_timed
        around = (r["n_around_lunch"] or 0) / 4.0
        r["lunch_ratio"] = (r["n_lunch"] / around) if around > 0 else None
        ds = r["office_hours_share_dataset"]
        lift_ok = ds is None or ds <= 0 or r["office_hours_share"] >= p.office_min_lift * ds
        r["office_hours"] = bool(
            n_timed >= p.min_posts_rhythm and r["office_hours_share"] >= p.office_min_share and lift_ok
        )
    else:
        r["office_hours_share"] = r["weekend_share"] = r["lunch_ratio"] = r["office_hours"] = None
    # clients within the account's detected group
    if r["group_id"] is not None and r["group_client_share"] is not None:
        ds = r["group_client_share_dataset"] or 0.0
        r["client_homogeneous"] = bool(
            (r["group_members"] or 0) >= p.client_min_group
            and r["group_client_share"] >= p.client_min_share
            and r["group_client_share"] >= ds + p.client_min_lift
        )
    else:
        r["client_homogeneous"] = None
    # engagement
    n_orig = r["n_original"] or 0
    r["engagement_per_post"] = (r["engagement_sum"] / n_orig) if n_orig else None
    mismatch = None
    if n_orig >= p.min_original_posts and r["follower_count"] is not None:
        epp = r["engagement_per_post"]
        if r["follower_count"] >= p.followers_no_engagement and epp < p.max_engagement_per_post:
            mismatch = "followers_without_engagement"
        elif r["follower_count"] < p.max_followers_engaged and epp >= p.engagement_no_followers:
            mismatch = "engagement_without_followers"
    r["engagement_mismatch"] = mismatch
    # dormancy
    if r["max_gap_days"] is not None:
        r["reactivated"] = bool(
            r["max_gap_days"] >= p.dormancy_days and (r["posts_after_gap"] or 0) >= p.reactivation_min_posts
        )
    else:
        r["reactivated"] = None
    # repurposing and language shift (change points)
    for k in ("changepoint_at", "political_share_before", "political_share_after", "days_before_pivot",
              "changepoint_llr", "repurposed", "lang_before", "lang_after", "lang_shift_at", "lang_shift"):
        r[k] = None
    r["_cp_post"] = r["_lang_post"] = None
    if seq is not None:
        cp = best_split(seq.political, p.changepoint_min_size)
        if cp is not None:
            at = seq.at[cp.index]
            r["changepoint_at"] = _py_dt(at)
            r["political_share_before"] = cp.rate_before
            r["political_share_after"] = cp.rate_after
            r["changepoint_llr"] = cp.llr
            r["days_before_pivot"] = _days(_py_dt(seq.at[0]), r["changepoint_at"])
            r["repurposed"] = bool(
                cp.llr >= p.changepoint_min_llr
                and cp.rate_before <= p.repurpose_max_before
                and cp.rate_after >= p.repurpose_min_after
                and (r["days_before_pivot"] or 0) >= p.repurpose_min_days_before
            )
            r["_cp_post"] = str(seq.post_id[cp.index])
            r["_cp_n"] = (cp.n_before, cp.n_after)
        elif len(seq.political) > 0:
            r["repurposed"] = False
        if r["top_lang"]:
            is_top = (seq.lang == r["top_lang"]).astype(np.int64)
            lcp = best_split(is_top, p.changepoint_min_size)
            if lcp is not None:
                before = Counter(x for x in seq.lang[: lcp.index] if x)
                after = Counter(x for x in seq.lang[lcp.index:] if x)
                lb = before.most_common(1)[0][0] if before else None
                la = after.most_common(1)[0][0] if after else None
                r["lang_before"], r["lang_after"] = lb, la
                r["lang_shift_at"] = _py_dt(seq.at[lcp.index])
                r["lang_shift"] = bool(lcp.llr >= p.changepoint_min_llr and lb is not None and la is not None and lb != la)
                r["_lang_post"] = str(seq.post_id[lcp.index])
                r["_lang_llr"] = lcp.llr
            else:
                r["lang_shift"] = False


def _py_dt(v: Any) -> datetime | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v
    if isinstance(v, np.datetime64):
        if np.isnat(v):
            return None
        us = v.astype("datetime64[us]").astype(np.int64)
        return datetime(1970, 1, 1) + np.timedelta64(int(us), "us").astype(object)
    return v  # pragma: no cover


def _days(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return (b - a).total_seconds() / 86400.0


def _attach_post_sources(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """file:line (and, for the first political post, the text) of the posts that the evidence
    of a *fired* signature rests on: pivot post, first political post, gap ends, language shift.

    Only fired signatures need them, so the lookup stays small on large cases.
    """
    wanted: set[str] = set()
    need_first: list[str] = []
    for r in rows:
        if r.get("repurposed"):
            need_first.append(r["account_id"])
            if r.get("_cp_post"):
                wanted.add(str(r["_cp_post"]))
        if r.get("lang_shift") and r.get("_lang_post"):
            wanted.add(str(r["_lang_post"]))
        if r.get("reactivated"):
            for k in ("gap_start_post", "gap_end_post"):
                if r.get(k):
                    wanted.add(str(r[k]))
    firsts: dict[str, str] = {}
    if need_first:
        _register_ids(engine, "_audit_need_first", need_first)
        try:
            firsts = dict(
                engine.execute(
                    "SELECT account_id, arg_min(post_id, (created_at, post_id)) FROM _audit_posts "
                    "WHERE political AND account_id IN (SELECT id FROM _audit_need_first) GROUP BY 1"
                ).fetchall()
            )
        finally:
            engine.unregister("_audit_need_first")
        wanted.update(firsts.values())
    info: dict[str, tuple[str | None, str]] = {}
    if wanted:
        _register_ids(engine, "_audit_wanted", sorted(wanted))
        try:
            for pid, f, ln, text in engine.execute(
                "SELECT post_id, source_file, source_line, text FROM posts WHERE post_id IN (SELECT id FROM _audit_wanted)"
            ).fetchall():
                info[pid] = (_src((f, ln)), (text or "")[:140])
        finally:
            engine.unregister("_audit_wanted")
    src = {pid: v[0] for pid, v in info.items()}
    for r in rows:
        r["_src"] = src
        pid = firsts.get(r["account_id"])
        r["_first_political"] = (
            None if pid is None else {"post_id": pid, "source": info.get(pid, (None, ""))[0], "text": info.get(pid, (None, ""))[1]}
        )


def _register_ids(engine: Engine, name: str, ids: list[str]) -> None:
    import pyarrow as pa

    engine.register_arrow(name, pa.table({"id": pa.array(ids, pa.string())}))


def _finish(r: dict[str, Any], p: SignatureParams, burst_examples: dict[Any, list[str]]) -> None:
    ev = r.pop("_ev")
    src = r.pop("_src")
    first_pol = r.pop("_first_political")
    if r["creation_burst"]:
        ev["creation_burst"] = {
            "created_day": str(r["created_day"]),
            "accounts_that_day": r["creation_day_count"],
            "expected_per_day": round(r["creation_day_expected"], 4),
            "poisson_p": r["creation_day_p"],
            "same_handle_shape_that_day": r["creation_day_same_shape"],
            "handle_shape": r["handle_shape"],
            "examples": burst_examples.get(r["created_day"], []),
        }
    if r["office_hours"]:
        ev["office_hours"] = {
            "utc_offset_tested": p.office_utc_offset,
            "share_weekday_office_hours": round(r["office_hours_share"], 4),
            "dataset_share": None if r["office_hours_share_dataset"] is None else round(r["office_hours_share_dataset"], 4),
            "weekend_share": round(r["weekend_share"], 4),
            "lunch_ratio": None if r["lunch_ratio"] is None else round(r["lunch_ratio"], 4),
            "posts": r["n_timed"],
            "hour_profile_utc": json.loads(r["hour_profile"]) if r["hour_profile"] else None,
        }
    if r["client_homogeneous"]:
        ev["client_homogeneous"] = {
            "group_id": r["group_id"],
            "group_accounts": r["group_members"],
            "client": r["group_top_client"],
            "group_share": round(r["group_client_share"], 4),
            "dataset_share": round(r["group_client_share_dataset"] or 0.0, 4),
        }
    if r["engagement_mismatch"]:
        ev["engagement_mismatch"] = {
            "kind": r["engagement_mismatch"],
            "followers": r["follower_count"],
            "engagement_per_original_post": round(r["engagement_per_post"], 4),
            "original_posts": r["n_original"],
        }
    if r["reactivated"]:
        ev["reactivated"] = {
            "gap_days": round(r["max_gap_days"], 2),
            "last_post_before": {"post_id": r["gap_start_post"], "at": _ts(r["gap_start_at"]), "source": src.get(str(r["gap_start_post"]))},
            "first_post_after": {"post_id": r["gap_end_post"], "at": _ts(r["gap_end_at"]), "source": src.get(str(r["gap_end_post"]))},
            "posts_after_gap": r["posts_after_gap"],
        }
    if r["repurposed"]:
        nb, na = r.get("_cp_n", (None, None))
        ev["repurposed"] = {
            "pivot_post": {"post_id": r["_cp_post"], "at": _ts(r["changepoint_at"]), "source": src.get(str(r["_cp_post"]))},
            "political_share_before": round(r["political_share_before"], 4),
            "posts_before": nb,
            "political_share_after": round(r["political_share_after"], 4),
            "posts_after": na,
            "days_before_pivot": round(r["days_before_pivot"], 1),
            "llr": round(r["changepoint_llr"], 2),
            "first_political_post": first_pol,
        }
    if r["lang_shift"]:
        ev["lang_shift"] = {
            "from": r["lang_before"],
            "to": r["lang_after"],
            "shift_post": {"post_id": r["_lang_post"], "at": _ts(r["lang_shift_at"]), "source": src.get(str(r["_lang_post"]))},
            "llr": round(r.get("_lang_llr", 0.0), 2),
        }
    flags = [f for f in FLAG_COLUMNS if r.get(f)]
    r["flags"] = json.dumps(flags)
    r["evidence"] = json.dumps(ev, ensure_ascii=False, default=str)


def _store(engine: Engine, rows: list[dict[str, Any]]) -> None:
    replace_rows(engine, SIGNATURES, rows)
