"""Hand-built case rows for the audit tests: accounts and posts inserted with SQL.

Every helper writes the columns the audit reads and leaves the rest NULL, so a test states
only what matters to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from cibscope.case import Case


@contextmanager
def bulk(case: Case) -> Iterator[None]:
    """One transaction around many inserts (each autocommitted insert into a case file costs
    milliseconds; a fixture of hundreds of posts would otherwise take seconds)."""
    case.con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        case.con.execute("ROLLBACK")
        raise
    case.con.execute("COMMIT")


def add_account(
    case: Case,
    account_id: str,
    created_at: datetime | None,
    *,
    screen_name: str | None = None,
    followers: int | None = 10,
    following: int | None = 10,
    language: str | None = "en",
    hashed: bool = False,
) -> None:
    case.con.execute(
        "INSERT INTO accounts (account_id, platform, screen_name, display_name, follower_count, following_count,"
        " created_at, account_language, is_hashed, source_file, source_line) VALUES (?, 'twitter', ?, ?, ?, ?, ?, ?, ?, 'users.csv', ?)",
        [account_id, screen_name or account_id, screen_name or account_id, followers, following, created_at, language, hashed,
         case.count("accounts") + 2],
    )


_POST_N = [0]


def add_post(
    case: Case,
    account_id: str,
    at: datetime,
    text: str = "a photo of my cat",
    *,
    post_id: str | None = None,
    lang: str | None = "en",
    client: str | None = "Twitter Web App",
    kind: str = "post",
    likes: int = 0,
    reposts: int = 0,
    precision: str = "second",
) -> str:
    _POST_N[0] += 1
    pid = post_id or f"p{_POST_N[0]}"
    case.con.execute(
        "INSERT INTO posts (post_id, account_id, platform, created_at, time_precision, kind, text, text_norm, lang, client,"
        " like_count, repost_count, reply_count, quote_count, source_file, source_line)"
        " VALUES (?, ?, 'twitter', ?, ?, ?, ?, lower(?), ?, ?, ?, ?, 0, 0, 'tweets.csv', ?)",
        [pid, account_id, at, precision, kind, text, text, lang, client, likes, reposts, _POST_N[0] + 1],
    )
    return pid


def add_detection(
    case: Case,
    *,
    scores: list[tuple[str, float, bool, int | None]] = (),  # type: ignore[assignment]
    contributions: list[tuple[str, str, float, int]] = (),  # type: ignore[assignment]
    members: list[tuple[int, str]] = (),  # type: ignore[assignment]
    evidence: list[tuple[str, str, str]] = (),  # type: ignore[assignment]  (layer, account_a, account_b)
) -> None:
    """Stand-in detection outputs (what `cibscope detect` writes), so verdicts can be tested alone.

    Each distinct evidenced pair also becomes one significant edge (p = 1e-6) of its layer."""
    con = case.con
    con.execute("INSERT INTO detect_runs VALUES (TIMESTAMP '2020-01-01', '{}', '{}')")
    for acc, score, flagged, gid in scores:
        con.execute("INSERT INTO scores VALUES (?, ?, ?, ?, '')", [acc, score, flagged, gid])
    for acc, name, value, n in contributions:
        con.execute("INSERT INTO score_contributions VALUES (?, ?, ?, ?, '')", [acc, name, value, n])
    for gid, acc in members:
        con.execute("INSERT INTO group_members (group_id, account_id, role) VALUES (?, ?, 'core')", [gid, acc])
    pairs: dict[tuple[str, str, str], int] = {}
    for layer, a, b in evidence:
        key = (layer, min(a, b), max(a, b))
        pairs[key] = pairs.get(key, 0) + 1
    for (layer, a, b), n in pairs.items():  # one significant edge per evidenced pair
        con.execute(
            "INSERT INTO edges VALUES (?, ?, ?, ?, ?, 0.1, 1e-6, TIMESTAMP '2019-08-01 10:00:00', TIMESTAMP '2019-08-01 10:00:04')",
            [layer, a, b, n, float(n)],
        )
    for i, (layer, a, b) in enumerate(evidence, 1):
        con.execute(
            "INSERT INTO evidence (evidence_id, layer, account_a, account_b, post_a, post_b, at_a, at_b, seconds_apart, "
            "shared_item, source_a, source_b, key_layer, key, precision) "
            "VALUES (?, ?, ?, ?, ?, ?, TIMESTAMP '2019-08-01 10:00:00', TIMESTAMP '2019-08-01 10:00:04',"
            " 4.0, 'item', 'tweets.csv:2', 'tweets.csv:3', ?, 'item', 'second')",
            [i, layer, min(a, b), max(a, b), f"e{i}a", f"e{i}b", layer],
        )


def signatures(case: Case) -> dict[str, dict[str, Any]]:
    cur = case.con.execute("SELECT * FROM signatures")
    names = [d[0] for d in cur.description]
    return {r[0]: dict(zip(names, r)) for r in cur.fetchall()}
