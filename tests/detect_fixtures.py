"""A tiny hand-made case for the detection tests: edges and evidence inserted with SQL.

Accounts and the planted structure (every number below is derived by hand in the tests):

Strength = -log10(p * m), m = pairs in the layer (no builder stats in this case):

* clique A = a1, a2, a3, a4: every pair co-retweets, p = 1e-15 (m = 8: strength 15 - log10 8
  = 14.0969); a1-a2 also share one link, layer co_url, p = 1e-13 (m = 1: strength 13).
* clique B = b1, b2, b3: every pair co-hashtags, p = 1e-20 (m = 3: strength 19.5229).
* organic o1, o2, o3: o1-o2 co-retweet p = 0.3 and a1-o1 co-retweet p = 0.2 -- not
  significant after Benjamini-Hochberg (m = 8 co_retweet pairs: q = 0.3 and 0.2286 > 0.01).
  o3 has no edge at all.
* ``bridge=True`` adds one co_mention pair a4-b1, p = 1e-3 (m = 1: strength 3): connected components
  then merge A and B, Leiden (CPM) keeps them apart.

Account traits, so that the group decision has something to test (cibscope.evidence.signals):
A's accounts were created on 2019-06-01 and post from 'BotApp'; B's were created on
2019-07-15; the organic accounts were created years apart and post from 'Web'. Every account
has five original posts (``trait_posts``), all on Mondays at 03:00 UTC (one hour-of-week, so
the group_affinity term has no distinctive profile to match). A therefore shows two traits
(shared_client, creation_burst) and B one (creation_burst); both are operations.

a1's screen name starts with '=' to exercise formula-injection neutralisation.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from cibscope.case import Case, open_case

A = ["a1", "a2", "a3", "a4"]
B = ["b1", "b2", "b3"]
O = ["o1", "o2", "o3"]

SCREEN_NAMES = {"a1": "=HYPERLINK(\"http://x\")", "a2": "alpha_two", "b1": "@beta", "o1": "-minus"}


CREATED = {**{a: "2019-06-01" for a in A}, **{b: "2019-07-15" for b in B}, "o1": "2010-03-01", "o2": "2013-05-01", "o3": "2016-09-01"}
CLIENT = {**{a: "BotApp" for a in A}, **{x: "Web" for x in B + O}}


def build_case(path: Path, *, bridge: bool = False, trait_posts: bool = True) -> Case:
    c = open_case(path)
    con = c.con
    for acc in A + B + O:
        con.execute(
            "INSERT INTO accounts (account_id, platform, screen_name, created_at, source_file, source_line) "
            "VALUES (?, 'twitter', ?, ?, 'users.csv', ?)",
            [acc, SCREEN_NAMES.get(acc, acc), CREATED[acc], (A + B + O).index(acc) + 2],
        )
    if trait_posts:
        line = 100
        for acc in A + B + O:
            for k in range(5):
                line += 1
                con.execute(
                    "INSERT INTO posts (post_id, account_id, platform, created_at, time_precision, kind, text, client, like_count, "
                    "repost_count, reply_count, quote_count, source_file, source_line) VALUES (?, ?, 'twitter', "
                    "TIMESTAMP '2019-09-02 03:00:00' + to_days(7 * ?), 'second', 'post', ?, ?, ?, 0, 0, 0, 'tweets.csv', ?)",
                    [f"t{acc}{k}", acc, k, f"own words of {acc} number {k}", CLIENT[acc], 3 if acc in O else 0, line],
                )
    t0 = "2020-01-01 00:00:00"
    t1 = "2020-01-03 12:00:00"
    rows = []
    for x, y in itertools.combinations(A, 2):
        rows.append(("co_retweet", x, y, 5, 5.0, 0.1, 1e-15, t0, t1))
    rows.append(("co_url", "a1", "a2", 2, 2.0, 0.01, 1e-13, "2020-01-02 00:00:00", "2020-01-02 00:10:00"))
    for x, y in itertools.combinations(B, 2):
        rows.append(("co_hashtag", x, y, 3, 3.0, 0.1, 1e-20, "2020-02-01 00:00:00", "2020-02-02 00:00:00"))
    rows.append(("co_retweet", "o1", "o2", 1, 1.0, 0.5, 0.3, t0, t0))
    rows.append(("co_retweet", "a1", "o1", 1, 1.0, 0.5, 0.2, t0, t0))
    if bridge:
        rows.append(("co_mention", "a4", "b1", 2, 2.0, 0.01, 1e-3, t0, t1))
    con.executemany("INSERT INTO edges VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    posts = [
        ("p1", "a1", "2020-01-01 10:00:00", "RT big news", "tweets.csv", 2),
        ("p2", "a2", "2020-01-01 10:00:04", "RT big news", "tweets.csv", 3),
        ("p3", "a3", "2020-01-01 10:00:09", "RT big news", "tweets.csv", 4),
        ("p4", "a4", "2020-01-01 10:00:10", "RT big news", "tweets.csv", 5),
        ("p5", "a1", "2020-01-01 11:00:00", "RT second", "tweets.csv", 6),
        ("p6", "a3", "2020-01-01 11:00:30", "RT second", "tweets.csv", 7),
        ("p7", "b1", "2020-02-01 09:00:00", "#tag1 #tag2", "tweets.csv", 8),
        ("p8", "b2", "2020-02-01 09:01:00", "#tag1 #tag2", "tweets.csv", 9),
    ]
    for pid, acc, at, text, f, line in posts:
        con.execute(
            "INSERT INTO posts (post_id, account_id, platform, created_at, time_precision, kind, text, client, source_file, source_line) "
            "VALUES (?, ?, 'twitter', ?, 'second', 'repost', ?, ?, ?, ?)",
            [pid, acc, at, text, CLIENT[acc], f, line],
        )
    evidence = [
        # id, layer, a, b, post_a, post_b, at_a, at_b, seconds, item
        (1, "co_retweet", "a1", "a2", "p1", "p2", "2020-01-01 10:00:00", "2020-01-01 10:00:04", 4.0, "rt:900"),
        (2, "co_retweet", "a3", "a4", "p3", "p4", "2020-01-01 10:00:09", "2020-01-01 10:00:10", 1.0, "rt:900"),
        (3, "co_retweet", "a1", "a3", "p5", "p6", "2020-01-01 11:00:00", "2020-01-01 11:00:30", 30.0, "rt:901"),
        (4, "co_hashtag", "b1", "b2", "p7", "p8", "2020-02-01 09:00:00", "2020-02-01 09:01:00", 60.0, "tag1"),
    ]
    src = {p[0]: f"{p[4]}:{p[5]}" for p in posts}
    con.executemany(
        "INSERT INTO evidence (evidence_id, layer, account_a, account_b, post_a, post_b, at_a, at_b, seconds_apart, shared_item, "
        "source_a, source_b, key_layer, key, precision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'second')",
        [(*e, src[e[4]], src[e[5]], e[1], e[9]) for e in evidence],
    )
    return c


def write_truth(path: Path) -> Path:
    """Truth for the fixture: b3 is an organic hard negative, o1 an IO account the edges miss."""
    rows = [
        ("a1", "io", "1", "retweet_ring"), ("a2", "io", "1", "retweet_ring"),
        ("a3", "io", "1", "retweet_ring"), ("a4", "io", "1", "retweet_ring"),
        ("b1", "io", "2", "hashtag_push"), ("b2", "io", "2", "hashtag_push"),
        ("b3", "organic", "", "hn_activists|hn_fans"), ("o1", "io", "3", "lone_wolf"),
        ("o2", "organic", "", "hn_fans"), ("o3", "organic", "", "plain"),
    ]
    path.write_text("userid,label,group,tactic,claimed\n" + "".join(f"{u},{l},{g},{t},false\n" for u, l, g, t in rows))
    return path
