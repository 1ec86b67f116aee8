"""The group decision's parts on small hand-made cases: the null copies (cibscope.groups.null),
the inauthenticity traits (cibscope.evidence.signals) and the defining items
(cibscope.groups.items)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from cibscope.case import open_case
from cibscope.detect import detect
from cibscope.evidence.decision import COORDINATED, OPERATION, decide_groups
from cibscope.evidence.signals import SignalParams, group_signals
from cibscope.groups.items import defining_items
from cibscope.groups.null import (
    GroupStat,
    NullParams,
    _frame,
    calibrate,
    null_copies,
)
from cibscope.testing import insert_rows
from cibscope.traces import get_trace

T0 = datetime(2020, 1, 6, 12, 0, 0)  # a Monday


def _ring_case(path: Path, *, n_members: int = 8, n_originals: int = 30, n_others: int = 60, seed: int = 1):
    """Members m0..m7 each retweet originals o0..o29 (one a day) 5-40 s after them; others
    x00..x59 each retweet 6 random originals at random times of their day; everyone also has 30
    originals of their own spread over the ten weeks (so the case spans >= 8 weeks)."""
    rng = np.random.default_rng(seed)
    posts: list[dict] = []
    members = [f"m{i}" for i in range(n_members)]
    others = [f"x{i:02d}" for i in range(n_others)]
    for k in range(n_originals):
        at = T0 + timedelta(days=2 * k)
        posts.append(dict(post_id=f"o{k}", account_id="src", created_at=at, text=f"original {k}"))
        for m in members:
            posts.append(dict(post_id=f"r{k}-{m}", account_id=m, created_at=at + timedelta(seconds=int(rng.integers(5, 40))),
                              repost_of=f"o{k}", repost_of_account="src", text=f"RT original {k}"))
    for x in others:
        for k in rng.choice(n_originals, 6, replace=False):
            at = T0 + timedelta(days=2 * int(k), seconds=int(rng.integers(3600, 80000)))
            posts.append(dict(post_id=f"r{k}-{x}", account_id=x, created_at=at, repost_of=f"o{k}", repost_of_account="src",
                              text=f"RT original {k}"))
    for a in members + others:
        for j in range(30):
            posts.append(dict(post_id=f"own-{a}-{j}", account_id=a, created_at=T0 + timedelta(hours=int(rng.integers(0, 70 * 24))),
                              text=f"own words {a} {j}"))
    c = open_case(path)
    insert_rows(c.con, "posts", posts)
    insert_rows(c.con, "accounts", [dict(account_id=a, screen_name=a) for a in members + others + ["src"]])
    return c, members


def test_frame_unit_follows_the_span(tmp_path: Path) -> None:
    with open_case(tmp_path / "c.duckdb") as c:
        for days, unit in ((120, "week"), (30, "day"), (1.5, "hour")):
            c.con.execute("DELETE FROM posts")
            insert_rows(c.con, "posts", [dict(post_id="a", account_id="u", created_at=T0),
                                         dict(post_id="b", account_id="u", created_at=T0 + timedelta(days=days))])
            origin, period, step, name = _frame(c.engine)
            assert name == unit
            assert period % step == 0 and period // step >= 8 and origin == int((T0 - datetime(1970, 1, 1)).total_seconds() * 1e6)


def test_null_copy_shifts_each_account_circularly_and_keeps_its_actions(tmp_path: Path) -> None:
    c, members = _ring_case(tmp_path / "c.duckdb")
    with c:
        from cibscope.groups.null import _accounts, _install_shift
        from cibscope.networks import keep_traces, kept_trace_table

        keep_traces(c.con, ["co_retweet"])
        rows = kept_trace_table(c.con, "co_retweet")
        origin, period, step, _ = _frame(c.engine)
        _install_shift(c.engine, _accounts(c.engine), np.random.default_rng(0), period // step, step)
        t = get_trace("co_retweet")()
        real = c.con.execute(f'SELECT account_id, key, epoch_us("at") FROM {rows} ORDER BY 1, 2').fetchall()
        null = c.con.execute(f'SELECT account_id, key, epoch_us("at") FROM ({t.null_sql(rows, origin, period)}) ORDER BY 1, 2').fetchall()
        shift = dict(c.con.execute("SELECT account_id, shift_us FROM _cib_null_shift").fetchall())
        assert [(a, k) for a, k, _ in real] == [(a, k) for a, k, _ in null]  # the same actions
        for (a, _, t_real), (_, _, t_null) in zip(real, null):
            assert t_null == origin + (t_real - origin + shift[a]) % period  # moved by its own shift, circularly
            assert shift[a] % step == 0 and 0 < shift[a] < period


def test_a_ring_is_beyond_the_null_and_chance_is_not(tmp_path: Path) -> None:
    c, members = _ring_case(tmp_path / "c.duckdb")
    with c:
        res = detect(c, traces=["co_retweet"], params={"signals.min_signals": 1})
        rows = c.con.execute("SELECT group_id, verdict, statistic, e_value, q_value FROM groups").fetchall()
        by_members = {g: {a for (a,) in c.con.execute("SELECT account_id FROM group_members WHERE group_id = ? AND role = 'core'", [g]).fetchall()}
                      for g, *_ in rows}
        ring = [r for r in rows if set(members) <= by_members[r[0]]]
        assert len(ring) == 1
        g, verdict, stat, e, q = ring[0]
        assert verdict in (OPERATION, COORDINATED) and e == 0.0 and q == 0.0 and stat > 10
        nulls = c.con.execute("SELECT count(*), coalesce(max(evidence), 0) FROM null_groups").fetchone()
        assert nulls[1] < stat  # chance gives nothing this strong
        assert res.stats["null"]["replicates"] == 2 and res.stats["null"]["unit"] == "week"
        # the same copies again: the same null groups (seeded)
        first = c.con.execute("SELECT * FROM null_groups ORDER BY ALL").fetchall()
        detect(c, traces=["co_retweet"])
        assert c.con.execute("SELECT * FROM null_groups ORDER BY ALL").fetchall() == first


def test_calibrate_gives_the_permutation_fdr() -> None:
    """Null groups with evidence 1, 2, 3, 3, 10 over 2 copies; real groups 50, 3, 2.5, 0.5.
    E(50) = 0; E(3) = 3 null groups >= 3 / 2 = 1.5, real >= 3: 2 -> FDR 0.75; E(2.5) = 1.5, real 3
    -> 0.5; E(0.5) = 2.5, real 4 -> 0.625. q = running minimum from the weakest up."""
    null = pa.table({"replicate": [0, 0, 1, 1, 1], "size": [3] * 5, "pairs": [3] * 5,
                     "evidence": [1.0, 2.0, 3.0, 3.0, 10.0], "layers": ["{}"] * 5})
    real = {1: GroupStat(10, 40, 50.0), 2: GroupStat(3, 3, 3.0), 3: GroupStat(3, 3, 2.5), 4: GroupStat(3, 2, 0.5)}
    cal = calibrate(real, null, 2, 0.05)
    assert [cal[g].n_null for g in (1, 2, 3, 4)] == [0, 3, 3, 5]
    assert [cal[g].e_value for g in (1, 2, 3, 4)] == [0.0, 1.5, 1.5, 2.5]
    assert [cal[g].q_value for g in (1, 2, 3, 4)] == pytest.approx([0.0, 0.5, 0.5, 0.625])
    assert [cal[g].coordinated for g in (1, 2, 3, 4)] == [True, False, False, False]
    assert all(v.coordinated for v in calibrate(real, null, 0, 0.05).values())  # no copies: no test


def test_traits_fire_on_the_group_not_on_a_few_members(tmp_path: Path) -> None:
    """Group 1 (12 accounts): all created 2019-03-01..03 and posting from 'BotApp'; group 2 (12
    accounts): 2 of them created that week (a few members, not the group); 200 others created
    one a day from 2012 on, posting from Web or iPhone."""
    members1 = [f"a{i:02d}" for i in range(12)]
    members2 = [f"b{i:02d}" for i in range(12)]
    others = [f"o{i:03d}" for i in range(200)]
    accounts, posts = [], []
    for i, a in enumerate(members1 + members2 + others):
        if a in members1 or a in members2[:2]:
            created = datetime(2019, 3, 1) + timedelta(days=i % 3)
        else:
            created = datetime(2012, 1, 1) + timedelta(days=3 * i)
        accounts.append(dict(account_id=a, created_at=created))
        client = "BotApp" if a in members1 else ("Web" if i % 2 else "Twitter for iPhone")
        posts += [dict(post_id=f"{a}-{k}", account_id=a, created_at=T0 + timedelta(hours=7 * k + i), client=client, text="x")
                  for k in range(3)]
    with open_case(tmp_path / "c.duckdb") as c:
        insert_rows(c.con, "accounts", accounts)
        insert_rows(c.con, "posts", posts)
        membership = {**{a: 1 for a in members1}, **{b: 2 for b in members2}}
        sig = {(s.group_id, s.signal): s for s in group_signals(c, membership)}
        burst = sig[(1, "creation_burst")]
        assert (burst.k, burst.n, burst.base_rate) == (12, 12, pytest.approx(2 / 212))
        assert burst.fired and burst.members == tuple(members1)
        client = sig[(1, "shared_client")]
        assert (client.k, client.n, client.base_rate, client.fired) == (12, 12, 0.0, True)
        assert "'BotApp'" in client.detail and client.evidence[0]["client"] == "BotApp"
        few = sig[(2, "creation_burst")]
        assert few.k <= 3 and few.n == 12 and not few.fired  # 2-3 of 12 do not describe the group
        assert not sig[(2, "shared_client")].fired  # half Web, half iPhone, like everyone else
        decisions = decide_groups({g: _cal(True) for g in (1, 2)}, list(sig.values()))
        assert (decisions[1].verdict, decisions[2].verdict) == (OPERATION, COORDINATED)
        assert decisions[1].signals == ("shared_client", "creation_burst")
        # a stricter lift leaves the client (12/12 vs 0 elsewhere) and the burst: both still fire
        strict = group_signals(c, membership, SignalParams(min_lift=50.0))
        assert {(s.group_id, s.signal) for s in strict if s.fired} == {(1, "shared_client"), (1, "creation_burst")}


def _cal(coordinated: bool):
    from cibscope.groups.null import Calibration

    return Calibration(statistic=1.0, n_null=0, e_value=0.0, q_value=0.0, coordinated=coordinated)


def test_defining_items_rank_what_the_group_pushes(tmp_path: Path) -> None:
    """Group 1 (5 members) posts #op (each 4 times) and #news (once each); 40 others post #news
    and 2 of them #op once. #op is the group's own and pushed most: rank 1; #news (5 of 45
    accounts) is not over-represented."""
    members = [f"m{i}" for i in range(5)]
    others = [f"o{i:02d}" for i in range(40)]
    posts, tags = [], []
    n = 0
    for a in members:
        for k in range(4):
            n += 1
            posts.append(dict(post_id=f"p{n}", account_id=a, created_at=T0 + timedelta(minutes=n), text="#op"))
            tags.append(dict(post_id=f"p{n}", hashtag="op", position=0))
        n += 1
        posts.append(dict(post_id=f"p{n}", account_id=a, created_at=T0 + timedelta(minutes=n), text="#news"))
        tags.append(dict(post_id=f"p{n}", hashtag="news", position=0))
    for i, a in enumerate(others):
        n += 1
        posts.append(dict(post_id=f"p{n}", account_id=a, created_at=T0 + timedelta(minutes=n), text="#news"))
        tags.append(dict(post_id=f"p{n}", hashtag="news", position=0))
        if i < 2:
            n += 1
            posts.append(dict(post_id=f"p{n}", account_id=a, created_at=T0 + timedelta(minutes=n), text="#op"))
            tags.append(dict(post_id=f"p{n}", hashtag="op", position=0))
    with open_case(tmp_path / "c.duckdb") as c:
        insert_rows(c.con, "posts", posts)
        insert_rows(c.con, "post_hashtags", tags)
        from cibscope.networks import keep_traces, kept_trace_table

        keep_traces(c.con, ["co_hashtag"])
        items = defining_items(c, {a: 1 for a in members}, {"co_hashtag": kept_trace_table(c.con, "co_hashtag")})
        rows = items.to_pylist()
        assert [(r["rank"], r["item"], r["members"], r["accounts"], r["actions"]) for r in rows] == [
            (1, "#op", 5, 7, 20), (2, "#news", 5, 45, 5)]
        assert rows[0]["log10_p"] < -3 < rows[1]["log10_p"]
