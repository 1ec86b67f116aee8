"""Disclosure packages: the IO-archive format written, read back exactly, hashed consistently."""

from __future__ import annotations

import csv
import hashlib
import re
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cibscope.case import open_case
from cibscope.cli import app
from cibscope.detect import detect
from cibscope.disclose import default_salt, disclose, resolve_accounts
from cibscope.errors import CaseStateError, InputError, UnknownAccountError
from cibscope.generate import generate_dataset
from cibscope.ingest import ingest
from cibscope.ingest.io_archive import TWEET_COLUMNS, USER_COLUMNS
from cibscope.testing import T0, insert_rows, snowflake


def _h(salt: str, x: str) -> str:
    return hashlib.sha256((salt + "\x1f" + x).encode()).hexdigest()


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# ---- round trip on a generated case ------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("disclose")
    generate_dataset(d / "data", accounts=300, tweets=20_000, seed=11)
    orig = d / "orig.duckdb"
    ingest([d / "data" / "users.csv", d / "data" / "tweets.csv"], orig)
    detect(orig)
    pkg = d / "pkg"
    disclose(orig, out=pkg, accounts="all")
    back = d / "back.duckdb"
    rep = ingest([pkg], back)
    assert {f.status for f in rep.files} == {"ingested", "skipped"}  # README.md and SHA256SUMS skipped
    detect(back)
    return {"orig": orig, "pkg": pkg, "back": back}


def _mapper(orig: Path, accounts: str = "all", threshold: int = 5000):
    with open_case(orig, create=False, read_only=True) as c:
        ids = resolve_accounts(c, accounts)
        salt = default_salt(c, ids, threshold)
        real = {r[0] for r in c.con.execute("SELECT account_id FROM accounts WHERE follower_count >= ?", [threshold]).fetchall()}
    return lambda x: None if x is None else (x if x in real else _h(salt, x))


def _q(case: Path, sql: str) -> list[tuple]:
    with open_case(case, create=False, read_only=True) as c:
        return c.con.execute(sql).fetchall()


def test_round_trip_is_exact(generated: dict[str, Path]) -> None:
    orig, back = generated["orig"], generated["back"]
    m = _mapper(orig)
    cols = "post_id, account_id, created_at, kind, repost_of, repost_of_account, reply_to_post, reply_to_account, quote_of, text, lang, client, like_count, repost_count"
    a = _q(orig, f"SELECT {cols} FROM posts")
    b = _q(back, f"SELECT {cols} FROM posts")
    assert len(a) == len(b) == 20_000
    mapped = {(r[0], m(r[1]), *r[2:5], m(r[5]), r[6], m(r[7]), *r[8:]) for r in a}
    assert mapped == set(b)  # ids, times (to the millisecond: the ids are snowflakes), links, texts, counts
    # unhashed accounts keep their ids; hashed ones are flagged as such by the reader
    acc_a = {r[0]: r[1] for r in _q(orig, "SELECT account_id, follower_count FROM accounts")}
    acc_b = dict(_q(back, "SELECT account_id, is_hashed FROM accounts"))
    assert set(acc_b) == {m(x) for x in acc_a}
    for x, followers in acc_a.items():
        assert acc_b[m(x)] is (followers is None or followers < 5000)
        if followers is not None and followers >= 5000:
            assert m(x) == x
    assert 0 < sum(acc_b.values()) < len(acc_b)
    for table, col in (("post_hashtags", "hashtag"), ("post_urls", "url")):
        assert set(_q(orig, f"SELECT post_id, {col}, position FROM {table}")) == set(_q(back, f"SELECT post_id, {col}, position FROM {table}"))
    assert {(p, m(x), k) for p, x, k in _q(orig, "SELECT post_id, mentioned, position FROM post_mentions")} == set(
        _q(back, "SELECT post_id, mentioned, position FROM post_mentions")
    )
    # the package is a second-precision case again: every id is a snowflake consistent with its minute
    assert _q(back, "SELECT DISTINCT time_precision FROM posts") == [("second",)]


def test_detection_on_the_package_finds_the_same_groups(generated: dict[str, Path]) -> None:
    orig, back = generated["orig"], generated["back"]
    m = _mapper(orig)
    ga = {frozenset(m(x) for x in r[0]) for r in _q(orig, "SELECT list(account_id) FROM group_members GROUP BY group_id")}
    gb = {frozenset(r[0]) for r in _q(back, "SELECT list(account_id) FROM group_members GROUP BY group_id")}
    assert ga == gb and len(ga) >= 3
    assert {m(r[0]) for r in _q(orig, "SELECT account_id FROM scores WHERE flagged")} == {r[0] for r in _q(back, "SELECT account_id FROM scores WHERE flagged")}
    ea = {(l, *sorted((m(x), m(y))), n) for l, x, y, n in _q(orig, "SELECT layer, account_a, account_b, n_shared FROM edges")}
    assert ea == set(_q(back, "SELECT layer, account_a, account_b, n_shared FROM edges"))


def test_package_format_and_checksums(generated: dict[str, Path]) -> None:
    pkg = generated["pkg"]
    users, tweets = pkg / "orig_users_csv_hashed.csv", pkg / "orig_tweets_csv_hashed.csv"
    assert sorted(p.name for p in pkg.iterdir()) == sorted(["README.md", "SHA256SUMS", users.name, tweets.name])
    lines = tweets.read_text(encoding="utf-8").split("\n")
    assert lines[0] == ",".join(f'"{c}"' for c in TWEET_COLUMNS)
    assert users.read_text(encoding="utf-8").split("\n")[0] == ",".join(f'"{c}"' for c in USER_COLUMNS)
    rows = _rows(tweets)
    assert len(rows) == 20_000
    for r in rows[:2000]:
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", r["tweet_time"])
        assert r["is_retweet"] in ("true", "false") and r["latitude"] == r["longitude"] == "absent"
        for col in ("hashtags", "urls", "user_mentions"):
            assert r[col].startswith("[") and r[col].endswith("]")
        assert r["poll_choices"] == ""
    # every value quoted, empty ones as ""
    assert lines[1].startswith('"') and ',"",' in lines[1]
    sums = dict(reversed(line.split("  ")) for line in (pkg / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == {"README.md", users.name, tweets.name}
    for name, digest in sums.items():
        assert hashlib.sha256((pkg / name).read_bytes()).hexdigest() == digest
    readme = (pkg / "README.md").read_text(encoding="utf-8")
    assert "Hashing is not anonymisation" in readme and "## Evidence summary" in readme and "20,000" in readme


def test_same_case_and_parameters_give_the_same_bytes_and_the_salt_decides_the_hashes(generated: dict[str, Path], tmp_path: Path) -> None:
    orig = generated["orig"]
    disclose(orig, out=tmp_path / "a", accounts="flagged", name="x")
    disclose(orig, out=tmp_path / "b", accounts="flagged", name="x")
    for p in (tmp_path / "a").iterdir():
        assert p.read_bytes() == (tmp_path / "b" / p.name).read_bytes(), p.name
    disclose(orig, out=tmp_path / "c", accounts="flagged", name="x", salt="secret")
    ua = {r["userid"] for r in _rows(tmp_path / "a" / "x_users_csv_hashed.csv")}
    uc = {r["userid"] for r in _rows(tmp_path / "c" / "x_users_csv_hashed.csv")}
    flagged = [r[0] for r in _q(orig, "SELECT account_id FROM scores WHERE flagged")]
    hashed_c = {_h("secret", x) for x in flagged}
    assert len(uc & hashed_c) > 0 and not (ua & hashed_c)
    assert "given by the publisher" in (tmp_path / "c" / "README.md").read_text()


# ---- hashing in every reference column (hand-built case) ------------------------------------------


def _hand_case(path: Path) -> None:
    """alice (hashed, 40 followers), bob (hashed, no follower count), star (12,000 followers).
    bob retweets alice and star, replies to alice, mentions alice by id and by handle, star by
    id, and an account outside the case; star replies to bob."""
    with open_case(path) as c:
        insert_rows(c.con, "accounts", [
            dict(account_id="101", screen_name="Alice", display_name="Alice A", follower_count=40, description="bio"),
            dict(account_id="102", screen_name="bob", display_name="Bob", follower_count=None),
            dict(account_id="103", screen_name="star", display_name="Star", follower_count=12_000),
        ])
        t = [T0 + timedelta(minutes=i) for i in range(6)]
        insert_rows(c.con, "posts", [
            dict(post_id=snowflake(t[0], 1), account_id="101", created_at=t[0], text="hello @bob"),
            dict(post_id=snowflake(t[1], 2), account_id="102", created_at=t[1], repost_of=snowflake(t[0], 1), repost_of_account="101", text="RT @Alice: hello"),
            dict(post_id=snowflake(t[2], 3), account_id="102", created_at=t[2], reply_to_post=snowflake(t[0], 1), reply_to_account="101", text="@Alice hi"),
            dict(post_id=snowflake(t[3], 4), account_id="102", created_at=t[3], text="see @alice and @star and @nobody", latitude=22.3, longitude=114.2),
            dict(post_id=snowflake(t[4], 5), account_id="102", created_at=t[4], repost_of="999", repost_of_account="103", text="RT @star: x"),
            dict(post_id=snowflake(t[5], 6), account_id="103", created_at=t[5], reply_to_post=snowflake(t[2], 3), reply_to_account="102", text="@bob thanks"),
        ])
        insert_rows(c.con, "post_mentions", [
            dict(post_id=snowflake(t[3], 4), position=1, mentioned="101"),
            dict(post_id=snowflake(t[3], 4), position=2, mentioned="alice"),
            dict(post_id=snowflake(t[3], 4), position=3, mentioned="103"),
            dict(post_id=snowflake(t[3], 4), position=4, mentioned="nobody_outside"),
        ])
        insert_rows(c.con, "post_hashtags", [dict(post_id=snowflake(t[0], 1), position=1, hashtag="news", hashtag_raw="#News"),
                                            dict(post_id=snowflake(t[0], 1), position=2, hashtag="a,b", hashtag_raw="a,b")])
        insert_rows(c.con, "post_urls", [dict(post_id=snowflake(t[3], 4), position=1, url="https://x.example/", url_raw="https://x.example", domain="x.example")])


def test_hashing_is_consistent_across_every_reference_column(tmp_path: Path) -> None:
    case = tmp_path / "hand.duckdb"
    _hand_case(case)
    disclose(case, out=tmp_path / "pkg", accounts="all", salt="s3", name="hand")
    h = {x: _h("s3", x) for x in ("101", "102", "nobody_outside")}
    users = {r["userid"]: r for r in _rows(tmp_path / "pkg" / "hand_users_csv_hashed.csv")}
    assert set(users) == {h["101"], h["102"], "103"}
    for x in ("101", "102"):  # hashed: id, handle and name are one hash; the bio stays
        assert users[h[x]]["user_screen_name"] == users[h[x]]["user_display_name"] == h[x]
    assert users[h["101"]]["user_profile_description"] == "bio"
    assert (users["103"]["user_screen_name"], users["103"]["user_display_name"]) == ("star", "Star")
    tweets = {r["tweetid"]: r for r in _rows(tmp_path / "pkg" / "hand_tweets_csv_hashed.csv")}
    t = [T0 + timedelta(minutes=i) for i in range(6)]
    sid = [snowflake(t[i], i + 1) for i in range(6)]
    assert tweets[sid[0]]["userid"] == h["101"] and tweets[sid[0]]["hashtags"] == "['News', 'a,b']"
    assert (tweets[sid[1]]["is_retweet"], tweets[sid[1]]["retweet_userid"], tweets[sid[1]]["retweet_tweetid"]) == ("true", h["101"], sid[0])
    assert (tweets[sid[2]]["in_reply_to_userid"], tweets[sid[2]]["in_reply_to_tweetid"]) == (h["101"], sid[0])
    # mentions: by id and by handle, the same hash; the big account kept; an unknown one hashed
    assert tweets[sid[3]]["user_mentions"] == f"[{h['101']}, {h['101']}, 103, {h['nobody_outside']}]"
    assert (tweets[sid[3]]["latitude"], tweets[sid[3]]["urls"]) == ("22.3", "[https://x.example]")
    assert tweets[sid[4]]["retweet_userid"] == "103"
    assert (tweets[sid[5]]["userid"], tweets[sid[5]]["in_reply_to_userid"]) == ("103", h["102"])
    assert tweets[sid[5]]["tweet_time"] == t[5].strftime("%Y-%m-%d %H:%M")
    # texts keep the handles they mention (the documented re-identification risk), unless dropped
    assert "@Alice" in tweets[sid[2]]["tweet_text"]
    # read back: every reference holds the hash, and hashed accounts are marked
    back = tmp_path / "back.duckdb"
    ingest([tmp_path / "pkg"], back)
    assert set(_q(back, "SELECT account_id, is_hashed FROM accounts")) == {(h["101"], True), (h["102"], True), ("103", False)}
    assert set(_q(back, "SELECT repost_of_account FROM posts WHERE repost_of_account IS NOT NULL")) == {(h["101"],), ("103",)}
    assert set(_q(back, "SELECT reply_to_account FROM posts WHERE reply_to_account IS NOT NULL")) == {(h["101"],), (h["102"],)}
    assert _q(back, "SELECT mentioned FROM post_mentions ORDER BY position") == [(h["101"],), (h["101"],), ("103",), (h["nobody_outside"],)]
    assert set(_q(back, "SELECT hashtag FROM post_hashtags")) == {("news",), ("a,b",)}


@pytest.mark.parametrize("drop, emptied", [("none", set()), ("hashed", {"101", "102"}), ("all", {"101", "102", "103"})])
def test_texts_can_be_dropped(tmp_path: Path, drop: str, emptied: set[str]) -> None:
    case = tmp_path / "hand.duckdb"
    _hand_case(case)
    r = disclose(case, out=tmp_path / "pkg", accounts="all", salt="s", name="h", drop_texts=drop)
    rows = _rows(r.files["tweets"])
    by = {"101": _h("s", "101"), "102": _h("s", "102"), "103": "103"}
    for acc, out_id in by.items():
        texts = [x["tweet_text"] for x in rows if x["userid"] == out_id]
        assert texts and all((t == "") == (acc in emptied) for t in texts)
    if emptied:
        assert "texts emptied" in r.files["readme"].read_text()


def test_errors(tmp_path: Path) -> None:
    case = tmp_path / "hand.duckdb"
    _hand_case(case)
    with pytest.raises(CaseStateError, match="no detection run"):
        disclose(case, out=tmp_path / "p", accounts="flagged")
    with pytest.raises(UnknownAccountError, match="not in the case: zzz"):
        disclose(case, out=tmp_path / "p", accounts="101,zzz")
    with open_case(case) as c:
        insert_rows(c.con, "posts", [dict(post_id="g123abc", account_id="101", created_at=T0)])
    with pytest.raises(InputError, match="not 64-bit integers"):
        disclose(case, out=tmp_path / "p", accounts="101")
    ids = tmp_path / "ids.txt"
    ids.write_text("# the accounts\n103\n\n")
    r = disclose(case, out=tmp_path / "p2", accounts=str(ids))  # a file of ids
    assert r.n_accounts == 1 and r.n_hashed == 0


def test_cli_disclose(tmp_path: Path) -> None:
    case = tmp_path / "hand.duckdb"
    _hand_case(case)
    res = CliRunner().invoke(app, ["disclose", "-c", str(case), "--out", str(tmp_path / "pkg"), "--accounts", "all", "--drop-texts", "hashed"])
    assert res.exit_code == 0, res.output
    assert "3 accounts (2 hashed) and 6 tweets" in res.output and "salt derived from the case" in res.output


def test_account_lists_that_are_folders_or_not_utf8_are_input_errors(tmp_path: Path) -> None:
    case = tmp_path / "hand.duckdb"
    _hand_case(case)
    (tmp_path / "ids").mkdir()
    with pytest.raises(InputError, match="is a folder, not a file of account ids"):
        disclose(case, out=tmp_path / "p", accounts=str(tmp_path / "ids"))
    latin = tmp_path / "ids.txt"
    latin.write_bytes(b"101\ncaf\xe9\n")
    with pytest.raises(InputError, match="not UTF-8 text") as e:
        disclose(case, out=tmp_path / "p", accounts=str(latin))
    assert e.value.file == str(latin)


def test_a_folder_holding_another_package_is_refused(tmp_path: Path) -> None:
    case = tmp_path / "hand.duckdb"
    _hand_case(case)
    disclose(case, out=tmp_path / "pkg", accounts="all", name="first")
    disclose(case, out=tmp_path / "pkg", accounts="all", name="first", drop_texts="all")  # the same files: replaced
    with pytest.raises(InputError, match="another package's files: first_tweets_csv_hashed.csv, first_users_csv_hashed.csv"):
        disclose(case, out=tmp_path / "pkg", accounts="all", name="second")
    assert sorted(p.name for p in (tmp_path / "pkg").iterdir()) == ["README.md", "SHA256SUMS", "first_tweets_csv_hashed.csv", "first_users_csv_hashed.csv"]
