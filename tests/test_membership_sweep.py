"""The frame counts of the group-membership test (the island sweep of
cibscope.evidence.membership) on hand-made co_retweet keys (window W = 60 s, second precision:
no tolerance).

Key k1 (one original, retweeted at these seconds after 2020-01-01 00:00:00):

    m1 (group 1) at 0 and 200    -- two islands: the gap 200 > 2W
    m2 (group 1) at 10
    m3 (group 1) at 300
    n1 (group 2) at 100, n2 (group 2) at 110
    x  (tested)  at 60:  within [0, 120]: m1@0 (exactly W: counted), m2, n1, n2 -> n = 4;
                         group 1: m1, m2 -> share 2/4; group 2: n1, n2 -> share 2/4
    y  (tested)  at 150: within [90, 210]: n1, n2, m1@200 -> n = 3; group 1: only m1 (< 2
                         members: no hit); group 2: share 2/3
    z  (tested)  at 250: within [190, 310]: m1@200, m3@300 -> n = 2; group 1: share 2/2 = 1

Null rates over the 3 tested actions (x, y, z; members' actions are not tested):
group 1: r1 = (1/2 + 1) / 3 = 1/2, group 2: r1 = (1/2 + 2/3) / 3 = 7/18.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cibscope.case import Case, open_case
from cibscope.evidence.membership import group_membership
from cibscope.testing import insert_rows

T0 = datetime(2020, 1, 1)


def _case(path: Path, actions: list[tuple[str, str, int]]) -> Case:
    """A case whose posts are retweets: (account, original, seconds after T0)."""
    c = open_case(path)
    insert_rows(c.con, "posts", (
        dict(post_id=f"p{i}", account_id=a, created_at=T0 + timedelta(seconds=sec), repost_of=k, text=f"RT {k}",
             source_file="tweets.csv")
        for i, (a, k, sec) in enumerate(actions)
    ))
    return c


HAND = [
    ("m1", "k1", 0), ("m1", "k1", 200), ("m2", "k1", 10), ("m3", "k1", 300),
    ("n1", "k1", 100), ("n2", "k1", 110),
    ("x", "k1", 60), ("y", "k1", 150), ("z", "k1", 250),
]
GROUPS = {1: ["m1", "m2", "m3"], 2: ["n1", "n2"]}


def test_frame_counts_islands_boundaries_and_two_groups_on_one_key(tmp_path: Path) -> None:
    with _case(tmp_path / "c.duckdb", HAND) as c:
        res = group_membership(c, GROUPS, layers=("co_retweet",))
        assert res.n_tests == 3 * 2  # x, y, z against both groups
        rows = {(r["account_id"], r["group_id"]): r for r in res.tests.to_pylist()}
        assert sorted(rows) == [("x", 1), ("x", 2), ("y", 2), ("z", 1)]
        assert [(rows[k]["n_actions"], rows[k]["n_hits"]) for k in sorted(rows)] == [(1, 1)] * 4
        assert rows[("x", 1)]["observed"] == pytest.approx(2 / 4)
        assert rows[("x", 2)]["observed"] == pytest.approx(2 / 4)
        assert rows[("y", 2)]["observed"] == pytest.approx(2 / 3)
        assert rows[("z", 1)]["observed"] == pytest.approx(1.0)
        # expected = n_actions * r1 of the group
        assert rows[("x", 1)]["expected"] == pytest.approx(1 / 2)
        assert rows[("z", 1)]["expected"] == pytest.approx(1 / 2)
        assert rows[("x", 2)]["expected"] == pytest.approx(7 / 18)
        assert rows[("y", 2)]["expected"] == pytest.approx(7 / 18)


def test_one_member_on_a_key_is_no_group_action_min_members(tmp_path: Path) -> None:
    # min_members = 3: group 1 has 3 members on k1, but never 3 within W of one tested action
    # (x sees m1, m2; y sees m1; z sees m1, m3); group 2 has only 2: no hits at all
    with _case(tmp_path / "c.duckdb", HAND) as c:
        assert group_membership(c, GROUPS, layers=("co_retweet",), min_members=3).tests.num_rows == 0
        # min_members = 1: y now hits group 1 through m1@200 alone: share 1/3
        res = group_membership(c, GROUPS, layers=("co_retweet",), min_members=1)
        rows = {(r["account_id"], r["group_id"]): r["observed"] for r in res.tests.to_pylist()}
        assert rows[("y", 1)] == pytest.approx(1 / 3)
        assert rows[("x", 1)] == pytest.approx(2 / 4)


def _brute_force(actions: list[tuple[str, str, int]], groups: dict[int, list[str]], w: int, min_members: int) -> dict:
    """The module docstring's statistic, literally: per tested action and group, the distinct
    accounts (itself excluded) acting on its key within w seconds, and the group's among them."""
    member = {a: g for g, ms in groups.items() for a in ms}
    out: dict[tuple[str, int], list[float]] = {}
    for acc, key, t in actions:
        if acc in member:
            continue
        near = {a for a, k, s in actions if k == key and abs(s - t) <= w and a != acc}
        for g, ms in groups.items():
            gn = len(near & set(ms))
            if gn >= min_members:
                hit = out.setdefault((acc, g), [0, 0.0])
                hit[0] += 1
                hit[1] += min(1.0, gn / max(len(near), 1))
    return out


def test_sweep_matches_the_literal_definition_on_random_keys(tmp_path: Path) -> None:
    """Random retweets of 6 originals by 3 + 3 members and 12 tested accounts over 10 minutes
    (several actions per account and key, ties in time included): the test's hits and summed
    shares equal a literal O(n^2) evaluation of the definition."""
    rng = random.Random(7)
    groups = {1: ["a1", "a2", "a3"], 2: ["b1", "b2", "b3"]}
    accounts = [m for ms in groups.values() for m in ms] + [f"t{i:02d}" for i in range(12)]
    actions = [(rng.choice(accounts), f"k{rng.randrange(6)}", rng.randrange(0, 600, 5)) for _ in range(160)]
    expected = _brute_force(actions, groups, 60, 2)
    assert len(expected) >= 10  # the fixture exercises many (account, group) hits
    with _case(tmp_path / "c.duckdb", actions) as c:
        res = group_membership(c, groups, layers=("co_retweet",))
        got = {(r["account_id"], r["group_id"]): (r["n_hits"], r["observed"]) for r in res.tests.to_pylist()}
    assert set(got) == set(expected)
    for k, (n, s) in expected.items():
        assert got[k][0] == n
        assert got[k][1] == pytest.approx(s, rel=1e-12)
