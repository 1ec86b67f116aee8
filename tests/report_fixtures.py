"""A hand-made case for the report tests: every number the report shows is derivable here.

Why hand-made: detection, audit and ingest are written in parallel; the report reads only the
case tables (cibscope/schema.py), so a case filled by SQL is the contract under test.

The case (all times UTC)
------------------------
12 accounts a01..a12.

* group 1 = a01..a05 (5 members, all flagged, created the same day 2019-07-01).
  - 3 retweet bursts: at T_k = 2019-08-0{k+1} 10:00:00 (k=0,1,2) member i (0..4) reposts
    original ``orig{k}`` at T_k + 7*i seconds                        -> 15 posts
  - 1 link burst: at 2019-08-04 12:00:00 member i posts the URL
    ``http://news.example/story`` at +10*i seconds                   ->  5 posts
* group 2 = a06..a09 (4 members; a06..a08 flagged, a09 not).
  - 2 hashtag bursts at 2019-08-05 20:00:00 and 2019-08-06 20:00:00, member i posts
    ``#freedom`` at +20*i seconds                                    ->  8 posts
  - a06's first burst post's text is ``<script>window.__pwned=1</script> #freedom``.
* organic a10..a12: 4 posts each at 2019-08-0{d} 0{h}:30 (d=1..4)      -> 12 posts
  - a10's and a11's last posts share ``#freedom`` (the organic co_hashtag edge); a10's starts
    with ``=HYPERLINK("http://evil.example","x")`` (formula injection, exported in evidence.csv).

Posts: 15 + 5 + 8 + 12 = 40. First post 2019-08-01 03:30:00 (a10..a12's first posts are at
hour 3), last post 2019-08-06 20:01:00 (a09 = member 3 of group 2, +60 s).

Edges (layer: pairs, accounts)
* co_retweet: all C(5,2) = 10 pairs of group 1            -> 10 edges, 5 accounts
* co_link:    all 10 pairs of group 1                     -> 10 edges, 5 accounts
* co_hashtag: C(4,2) = 6 pairs of group 2 + (a10, a11)    ->  7 edges, 6 accounts

Evidence: co_retweet 10 pairs x 3 bursts = 30, co_link 10, co_hashtag 6 x 2 + 1 = 13 -> 53.

Malicious strings: a03's description is ``<img src=x onerror=alert(1)>``; a01's screen name
contains ``</script>`` (tests the JSON embedding); a02's description starts with ``@SUM``.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cibscope import Case, open_case

IMG_XSS = "<img src=x onerror=alert(1)>"
SCRIPT_XSS = "<script>window.__pwned=1</script>"
JSON_BREAKOUT = "evil</script><script>window.__pwned=2</script>"
FORMULA_TEXT = '=HYPERLINK("http://evil.example","x")'
FORMULA_DESC = "@SUM(1+1) cmd"
SHARED_URL = "http://news.example/story"

GROUP1 = [f"a{i:02d}" for i in range(1, 6)]
GROUP2 = [f"a{i:02d}" for i in range(6, 10)]
ORGANIC = ["a10", "a11", "a12"]
ACCOUNTS = GROUP1 + GROUP2 + ORGANIC
FLAGGED = GROUP1 + ["a06", "a07", "a08"]

EXPECTED: dict[str, Any] = {
    "accounts": 12,
    "posts": 40,
    "groups": 2,
    "flagged": 8,
    "edges": 27,
    "evidence": 53,
    "first_post": "2019-08-01 03:30:00",
    "last_post": "2019-08-06 20:01:00",
    "layers": {  # layer: (edges, accounts, evidence)
        "co_retweet": (10, 5, 30),
        "co_link": (10, 5, 10),
        "co_hashtag": (7, 6, 13),
    },
}

_ACCOUNT_SQL = "INSERT INTO accounts VALUES (?, 'twitter', ?, ?, ?, ?, NULL, ?, ?, ?, 'en', FALSE, 'users.csv', ?)"
_POST_SQL = (
    "INSERT INTO posts VALUES (?, ?, 'twitter', ?, 'second', ?, ?, lower(?), 'en', 'Twitter Web App', ?, NULL,"
    " NULL, NULL, NULL, 0, 0, 0, 0, NULL, NULL, 'tweets.csv', ?)"
)


def _screen_name(acc: str) -> str:
    return JSON_BREAKOUT if acc == "a01" else f"user_{acc}"


def _description(acc: str) -> str:
    if acc == "a03":
        return IMG_XSS
    if acc == "a02":
        return FORMULA_DESC
    return f"Just a person ({acc})"


def build_case(path: str | Path) -> Case:
    """Create the case described in the module docstring at ``path`` and return it open."""
    case = open_case(path)
    con = case.con
    line = 1
    for n, acc in enumerate(ACCOUNTS):
        created = datetime(2019, 7, 1, 9, n) if acc in GROUP1 else datetime(2015 + n % 4, 1 + n, 3)
        line += 1
        con.execute(
            _ACCOUNT_SQL,
            [acc, _screen_name(acc), f"Name {acc}", _description(acc), "Somewhere", 100 * n, 10 * n, created, line],
        )

    posts: list[tuple[str, str, datetime, str, str, str | None]] = []  # id, acc, at, kind, text, repost_of
    for k in range(3):
        t = datetime(2019, 8, 1 + k, 10, 0, 0)
        for i, acc in enumerate(GROUP1):
            posts.append((f"rt{k}_{acc}", acc, t + timedelta(seconds=7 * i), "repost", f"RT @source: original {k}", f"orig{k}"))
    t_link = datetime(2019, 8, 4, 12, 0, 0)
    for i, acc in enumerate(GROUP1):
        posts.append((f"ln_{acc}", acc, t_link + timedelta(seconds=10 * i), "post", f"read this {SHARED_URL}", None))
    for b in range(2):
        t = datetime(2019, 8, 5 + b, 20, 0, 0)
        for i, acc in enumerate(GROUP2):
            text = f"{SCRIPT_XSS} #freedom" if (acc == "a06" and b == 0) else f"we want #freedom now {b}"
            posts.append((f"ht{b}_{acc}", acc, t + timedelta(seconds=20 * i), "post", text, None))
    for acc in ORGANIC:
        for d in range(4):
            if acc == "a10" and d == 3:
                text = f"{FORMULA_TEXT} #freedom"
            elif acc == "a11" and d == 3:
                text = "my day #freedom"
            else:
                text = f"hello {d}"
            posts.append((f"o{d}_{acc}", acc, datetime(2019, 8, 1 + d, 3, 30), "post", text, None))
    post_line: dict[str, int] = {}
    for n, (pid, acc, at, kind, text, rp) in enumerate(posts):
        post_line[pid] = n + 2
        con.execute(_POST_SQL, [pid, acc, at, kind, text, text, rp, n + 2])
        if pid.startswith("ln_"):
            con.execute(
                "INSERT INTO post_urls VALUES (?, ?, ?, 0, ?, ?, 'news.example', FALSE)", [pid, acc, at, SHARED_URL, SHARED_URL]
            )
        if "#freedom" in text:
            con.execute("INSERT INTO post_hashtags VALUES (?, ?, ?, 0, 'freedom', '#freedom')", [pid, acc, at])
    at_of = {p[0]: p[2] for p in posts}

    evidence_id = 0

    def add_edge(layer: str, a: str, b: str, pairs: list[tuple[str, str, str]]) -> None:
        nonlocal evidence_id
        times = [at_of[x] for pa, pb, _ in pairs for x in (pa, pb)]
        con.execute(
            "INSERT INTO edges VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [layer, a, b, len(pairs), 2.5 * len(pairs), 0.1, 1e-4 / len(pairs), min(times), max(times)],
        )
        for pa, pb, item in pairs:
            evidence_id += 1
            ta, tb = at_of[pa], at_of[pb]
            con.execute(
                "INSERT INTO evidence (evidence_id, layer, account_a, account_b, post_a, post_b, at_a, at_b, seconds_apart, "
                "shared_item, source_a, source_b, key_layer, key, precision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'second')",
                [evidence_id, layer, a, b, pa, pb, ta, tb, abs((tb - ta).total_seconds()), item,
                 f"tweets.csv:{post_line[pa]}", f"tweets.csv:{post_line[pb]}", layer, item],
            )

    for a, b in itertools.combinations(GROUP1, 2):
        add_edge("co_retweet", a, b, [(f"rt{k}_{a}", f"rt{k}_{b}", f"orig{k}") for k in range(3)])
    for a, b in itertools.combinations(GROUP1, 2):
        add_edge("co_link", a, b, [(f"ln_{a}", f"ln_{b}", SHARED_URL)])
    for a, b in itertools.combinations(GROUP2, 2):
        add_edge("co_hashtag", a, b, [(f"ht{k}_{a}", f"ht{k}_{b}", "freedom") for k in range(2)])
    add_edge("co_hashtag", "a10", "a11", [("o3_a10", "o3_a11", "freedom")])

    con.execute(
        "INSERT INTO groups (group_id, size, layers, start_at, end_at, cohesion, top_items, core_size, verdict, flagged, statistic, "
        "e_value, q_value, signals) VALUES (1, 5, '[\"co_retweet\", \"co_link\"]', '2019-08-01 10:00:00', '2019-08-04 12:00:40', 1.0,"
        " ?, 5, 'operation', true, 12.5, 0.0, 0.0, '[\"copy_paste\"]')",
        ['[{"layer": "co_link", "item": "http://news.example/story", "count": 5}]'],
    )
    con.execute(
        "INSERT INTO groups (group_id, size, layers, start_at, end_at, cohesion, top_items, core_size, verdict, flagged, statistic, "
        "e_value, q_value, signals) VALUES (2, 4, '[\"co_hashtag\"]', '2019-08-05 20:00:00', '2019-08-06 20:01:00', 0.8,"
        " '[{\"layer\": \"co_hashtag\", \"item\": \"freedom\", \"count\": 8}]', 4, 'operation', true, 4.2, 0.0, 0.0, '[\"no_engagement\"]')"
    )
    for acc in GROUP1:
        con.execute("INSERT INTO group_members (group_id, account_id, role) VALUES (1, ?, 'core')", [acc])
    for acc in GROUP2:
        con.execute("INSERT INTO group_members (group_id, account_id, role) VALUES (2, ?, 'core')", [acc])

    # Scores: group 1 = 0.90 .. 0.86, group 2 = 0.70, 0.65, 0.60 flagged, a09 0.40; organic 0.05.
    for i, acc in enumerate(GROUP1):
        _score(con, acc, 0.90 - 0.01 * i, True, 1, {"co_retweet": (1.2, 12), "co_link": (0.6, 4), "creation_batch": (0.3, 1)})
    for i, acc in enumerate(GROUP2):
        s = [0.70, 0.65, 0.60, 0.40][i]
        _score(con, acc, s, acc in FLAGGED, 2, {"co_hashtag": (round(1.2 - 0.2 * i, 2), 6), "office_hours": (-0.1, 0)})
    for acc in ORGANIC:
        _score(con, acc, 0.05, False, None, {"co_hashtag": (0.05, 1)} if acc in ("a10", "a11") else {})
    con.execute(
        "INSERT INTO detect_runs VALUES ('2026-01-01 00:00:00', '{\"window\": 60}', '{\"bounded_pairs\": 0}')"
    )
    con.execute(
        "INSERT INTO ingest_log VALUES ('tweets.csv', 'h1', 'io_archive', 40, 40, 0, '2026-01-01 00:00:00', 0.1)"
    )
    return case


def _score(con: Any, acc: str, score: float, flagged: bool, group: int | None, contribs: dict[str, tuple[float, int]]) -> None:
    reasons = ", ".join(sorted(contribs, key=lambda c: -contribs[c][0])[:3])
    con.execute("INSERT INTO scores VALUES (?, ?, ?, ?, ?)", [acc, score, flagged, group, reasons])
    for name, (value, n_ev) in contribs.items():
        con.execute(
            "INSERT INTO score_contributions VALUES (?, ?, ?, ?, ?)", [acc, name, value, n_ev, f"{name} detail for {acc}"]
        )
