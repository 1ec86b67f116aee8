"""bench/heldout_world.py, the independent held-out generator: its files read cleanly, are
byte-identical per arguments, and hold what truth.csv and the archive format promise."""

from __future__ import annotations

import csv
import importlib.util
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from cibscope.ingest import ingest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "heldout_world.py"
_spec = importlib.util.spec_from_file_location("heldout_world", BENCH)
hw = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("heldout_world", hw)
_spec.loader.exec_module(hw)

ARGS = dict(accounts=400, tweets=12_000, seed=7)
FILES = ("users.csv", "tweets.csv", "truth.csv", "world.json")


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("heldout") / "w"
    hw.build(out, **ARGS)
    return out


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_same_arguments_give_the_same_bytes(world: Path, tmp_path: Path) -> None:
    hw.build(tmp_path / "again", **ARGS)
    for name in FILES:
        assert (tmp_path / "again" / name).read_bytes() == (world / name).read_bytes(), name
    hw.build(tmp_path / "other", **{**ARGS, "seed": 8})
    assert (tmp_path / "other" / "tweets.csv").read_bytes() != (world / "tweets.csv").read_bytes()


def test_archive_columns_hashing_and_truth(world: Path) -> None:
    users = rows(world / "users.csv")
    tweets = rows(world / "tweets.csv")
    truth = rows(world / "truth.csv")
    assert list(users[0]) == hw.USERS_COLUMNS and list(tweets[0]) == hw.TWEETS_COLUMNS
    assert len(users) == ARGS["accounts"] and len(tweets) == ARGS["tweets"]
    for u in users:
        hashed = int(u["follower_count"]) < 5000
        assert hashed == (u["userid"] == u["user_screen_name"] == u["user_display_name"])
        assert (len(u["userid"]) == 44) == hashed and (u["userid"].isdigit() != hashed)
    assert [t["userid"] for t in truth] == [u["userid"] for u in users]
    groups = {t["group"]: t["tactic"] for t in truth if t["label"] == "io"}
    assert sorted(groups) == [f"io_{i}" for i in range(1, 7)] and sorted(groups.values()) == sorted(hw.TACTICS)
    organic = Counter(t["tactic"] for t in truth if t["label"] == "organic")
    assert set(hw.LOOKALIKES) <= set(organic) and organic[""] > len(truth) / 3
    assert all(t["group"] == "" for t in truth if t["label"] == "organic")
    for t in tweets:
        assert t["latitude"] == t["longitude"] == "absent" and t["is_retweet"] in ("true", "false")
        assert all(t[c].startswith("[") and t[c].endswith("]") for c in ("hashtags", "urls", "user_mentions"))
        if t["is_retweet"] == "true":
            assert t["tweet_text"].startswith("RT @") and t["retweet_tweetid"] and t["retweet_userid"]
            assert t["user_mentions"].startswith("[" + t["retweet_userid"])


def test_ingests_cleanly_with_snowflake_seconds(world: Path, tmp_path: Path) -> None:
    rep = ingest([world / "users.csv", world / "tweets.csv"], tmp_path / "case.duckdb")
    tot = rep.totals()
    assert tot["rows_quarantined"] == 0 and tot["rows_kept"] == ARGS["accounts"] + ARGS["tweets"]
    con = duckdb.connect(str(tmp_path / "case.duckdb"), read_only=True)
    prec = dict(con.sql("SELECT time_precision, count(*) FROM posts GROUP BY 1").fetchall())
    # only tweets from before snowflake ids (Nov 2010: old hobby histories) may be minute-precision
    assert prec.get("second", 0) > 0.99 * ARGS["tweets"]
    kinds = dict(con.sql("SELECT kind, count(*) FROM posts GROUP BY 1").fetchall())
    assert set(kinds) == {"post", "repost", "reply", "quote"}


def test_minute_only_ids_are_not_snowflakes(tmp_path: Path) -> None:
    out = tmp_path / "m"
    hw.build(out, accounts=300, tweets=6000, seed=3, knobs={"minute_only": 1})
    ingest([out / "users.csv", out / "tweets.csv"], tmp_path / "case.duckdb")
    con = duckdb.connect(str(tmp_path / "case.duckdb"), read_only=True)
    assert con.sql("SELECT DISTINCT time_precision FROM posts").fetchall() == [("minute",)]
    assert con.sql("SELECT count(*) FROM quarantine").fetchall() == [(0,)]


@pytest.mark.parametrize("knobs", [{"nope": 1}, {"cohesion": 2}, {"participation": -0.1}, {"days": 0}])
def test_bad_knobs_are_refused(knobs: dict, tmp_path: Path) -> None:
    with pytest.raises(hw.WorldError):
        hw.build(tmp_path / "x", accounts=300, tweets=3000, seed=1, knobs=knobs)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_smallest_worlds_build(seed: int, tmp_path: Path) -> None:
    # 200 accounts is the least accepted; a small activist community once drew more leaders
    # than it had members (seed 2: "Cannot take a larger sample than population")
    desc = hw.build(tmp_path / "w", accounts=200, tweets=200, seed=seed, knobs={})
    assert desc["accounts"] == 200 and desc["rows"] >= 200
    assert len(rows(tmp_path / "w" / "users.csv")) == 200
