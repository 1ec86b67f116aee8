"""Twitter API JSON readers (v2 twarc2 pages / flattened, v1.1 statuses), at the staging level.

Each test reads a file with a reader into the staging tables exactly as the orchestrator does
(cibscope.ingest creates them empty, then calls reader.read) and checks the staged rows.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cibscope.case import Case, open_case
from cibscope.errors import InputError, UnknownFormatError
from cibscope.ingest import _create_staging, sniff
from cibscope.ingest import twitter_json
from cibscope.ingest.base import ReadContext, Source
from cibscope.ingest.registry import get_reader

DATA = Path(__file__).parent / "data" / "json"


def _source(path: Path) -> Source:
    return Source(path, str(path), "gzip" if path.name.endswith(".gz") else None)


def stage(tmp_path: Path, path: Path, fmt: str | None = None) -> tuple[Case, str, int]:
    """Sniff (or force) the reader for ``path`` and stage the file; return (case, format, rows_read)."""
    case = open_case(tmp_path / f"{path.name}.duckdb")
    _create_staging(case)
    src = _source(path)
    reader = sniff(src, fmt)
    n = reader.read(ReadContext(case.engine, src))
    return case, reader.name, n


def rows(case: Case, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return case.con.execute(sql, params or []).fetchall()


def one(case: Case, sql: str) -> Any:
    return case.con.execute(sql).fetchone()[0]  # type: ignore[index]


def post(case: Case, post_id: str) -> dict[str, Any]:
    cur = case.con.execute("SELECT * FROM stage_posts WHERE post_id = ?", [post_id])
    names = [d[0] for d in cur.description]
    got = cur.fetchall()
    assert len(got) == 1, got
    return dict(zip(names, got[0]))


def account(case: Case, account_id: str) -> dict[str, Any]:
    cur = case.con.execute("SELECT * FROM stage_accounts WHERE account_id = ?", [account_id])
    names = [d[0] for d in cur.description]
    got = cur.fetchall()
    assert len(got) == 1, got
    return dict(zip(names, got[0]))


def accounting(case: Case) -> tuple[int, int]:
    return one(case, "SELECT count(*) FROM stage_posts"), one(case, "SELECT count(*) FROM stage_quarantine")


# ---- hand-made fixtures ----------------------------------------------------------------------


def test_v2_pages_fixture(tmp_path: Path) -> None:
    # v2_pages.jsonl, line by line:
    #  1 a search page with 2 tweets: 1001 retweets 900 (author 10 found in includes.tweets),
    #    1002 replies to 900 (user 10) and quotes 901
    #  2 blank (no record)
    #  3 a stream page whose tweet has created_at "not a time"       -> quarantined
    #  4 a truncated line (invalid JSON)                              -> quarantined
    #  5 a page of user objects inside a tweets file                  -> one quarantine row
    #  6 a page with only errors and no data                          -> holds no row
    #  7 a flattened tweet (twarc2 flatten) retweeting 902 by 14, long text in note_tweet
    # staged 3 + quarantined 3 = read 6
    case, fmt, n = stage(tmp_path, DATA / "v2_pages.jsonl")
    assert fmt == "twitter-v2"
    assert accounting(case) == (3, 3)
    assert n == 6
    assert rows(case, "SELECT source_line, regexp_replace(reason, ' \\(.*', '') FROM stage_quarantine ORDER BY 1") == [
        (3, "unparseable created_at"),
        (4, "invalid JSON"),
        (5, "not tweets: a v2 response page of users"),
    ]
    rt = post(case, "1001")
    assert rt["kind"] == "repost"
    assert (rt["repost_of"], rt["repost_of_account"]) == ("900", "10")
    assert rt["created_at"] == datetime(2021, 9, 22, 16, 37, 20)
    assert rt["time_precision"] == "second"
    assert rt["hashtags"] == ["News"]
    assert rt["urls"] == ["https://example.com/a?utm_source=tw"]  # raw expanded URL: finalize canonicalises
    assert rt["mentions"] == ["10"]
    assert (rt["repost_count"], rt["client"], rt["lang"], rt["source_line"]) == (5, "Twitter Web App", "en", 1)
    reply = post(case, "1002")
    assert reply["kind"] == "reply"  # reply wins over quote; both links are kept
    assert (reply["reply_to_post"], reply["reply_to_account"], reply["quote_of"]) == ("900", "10", "901")
    assert reply["mentions"] == ["10", "bob_x"]  # id when the API gave one, else the lower-cased handle
    assert (reply["like_count"], reply["reply_count"], reply["quote_count"]) == (3, 1, 2)
    assert (reply["latitude"], reply["longitude"]) == (48.75, 2.5)  # GeoJSON is [lon, lat]
    flat = post(case, "1005")
    assert (flat["kind"], flat["repost_of"], flat["repost_of_account"]) == ("repost", "902", "14")
    assert flat["text"] == "RT @erin: ok (full)"
    assert flat["hashtags"] == ["Long"]
    assert flat["source_line"] == 7
    # one snapshot per distinct author: 11 (from includes.users), 12 (no user object), 13 (inlined author)
    assert one(case, "SELECT count(*) FROM stage_accounts") == 3
    carol = account(case, "11")
    assert (carol["screen_name"], carol["display_name"], carol["profile_url"]) == ("carol", "Carol C", "https://carol.example")
    assert (carol["follower_count"], carol["following_count"], carol["created_at"]) == (7, 8, datetime(2015, 11, 16, 17, 3, 41))
    assert carol["from_users_file"] is False and carol["is_hashed"] is False
    assert account(case, "12")["screen_name"] is None
    dave = account(case, "13")
    assert (dave["screen_name"], dave["location"], dave["follower_count"], dave["source_line"]) == ("dave", "Lyon", 100, 7)


def test_v1_stream_fixture_gzip(tmp_path: Path) -> None:
    # v1_stream.jsonl.gz, line by line:
    #  1 limit notice                          -> quarantined (stream notice)
    #  2 truncated status, extended_tweet full text and entities, reply to 1999 by user 21
    #  3 retweet (of a tweet that quotes 1980) -> repost of 1990 by 22, quote_of stays empty
    #  4 quote of 1980
    #  5 delete notice                         -> quarantined
    #  6 created_at "yesterday"                -> quarantined
    #  7 not JSON                              -> quarantined
    # staged 3 + quarantined 4 = read 7
    case, fmt, n = stage(tmp_path, DATA / "v1_stream.jsonl.gz")
    assert fmt == "twitter-v1"
    assert accounting(case) == (3, 4)
    assert n == 7
    assert rows(case, "SELECT source_line, reason FROM stage_quarantine WHERE source_line IN (1, 5) ORDER BY 1") == [
        (1, "not a tweet: stream notice 'limit'"),
        (5, "not a tweet: stream notice 'delete'"),
    ]
    assert [r[0] for r in rows(case, "SELECT source_line FROM stage_quarantine ORDER BY 1")] == [1, 5, 6, 7]
    p = post(case, "2001")
    assert p["text"] == "@gina the full long text #Tag1 #tag2 https://t.co/s"
    assert (p["hashtags"], p["mentions"], p["urls"]) == (["Tag1", "tag2"], ["21"], ["https://news.example/story#top"])
    assert (p["kind"], p["reply_to_post"], p["reply_to_account"]) == ("reply", "1999", "21")
    assert p["client"] == "Twitter for Android"
    assert p["created_at"] == datetime(2019, 9, 28, 18, 5, 23)
    assert (p["like_count"], p["repost_count"], p["reply_count"], p["quote_count"]) == (4, 1, 2, 3)
    assert (p["latitude"], p["longitude"]) == (48.86972, 2.30977)
    rt = post(case, "2002")
    assert (rt["kind"], rt["repost_of"], rt["repost_of_account"], rt["quote_of"]) == ("repost", "1990", "22", None)
    q = post(case, "2003")
    assert (q["kind"], q["quote_of"]) == ("quote", "1980")
    # account 20 appears on lines 2 and 3: the newer post's snapshot wins
    frank = account(case, "20")
    assert (frank["display_name"], frank["follower_count"], frank["source_line"]) == ("Frank F.", 11, 3)
    assert one(case, "SELECT count(*) FROM stage_accounts") == 2  # 20 and 24


def test_v1_json_array_fixture(tmp_path: Path) -> None:
    # v1_array.json is one pretty-printed JSON array: element 1 starts on line 2, element 2 on line 9
    case, fmt, n = stage(tmp_path, DATA / "v1_array.json")
    assert (fmt, n) == ("twitter-v1", 2)
    assert rows(case, "SELECT post_id, source_line, kind, reply_to_post FROM stage_posts ORDER BY 1") == [
        ("3001", 2, "post", None),
        ("3002", 9, "reply", "3001"),
    ]
    assert post(case, "3001")["hashtags"] == ["One"]
    assert account(case, "30")["created_at"] is None  # newest post's snapshot (line 9) has no created_at


def test_json_array_over_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(twitter_json, "MAX_DOCUMENT_BYTES", 100)
    with pytest.raises(InputError, match=r"larger than .* not read whole") as e:
        stage(tmp_path, DATA / "v1_array.json")
    assert e.value.hint is not None and "jq" in e.value.hint


def test_small_batches_give_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # rows are flushed in Arrow batches; a batch of 1 row must stage exactly what one batch does
    monkeypatch.setattr(twitter_json, "BATCH_ROWS", 1)
    monkeypatch.setattr(twitter_json.StageWriter.__init__, "__defaults__", (1,))
    case, _, n = stage(tmp_path, DATA / "v2_pages.jsonl")
    assert n == 6 and accounting(case) == (3, 3)
    assert sorted(r[0] for r in rows(case, "SELECT post_id FROM stage_posts")) == ["1001", "1002", "1005"]


def test_forcing_the_wrong_version_quarantines_with_a_hint(tmp_path: Path) -> None:
    case, _, n = stage(tmp_path, DATA / "v2_pages.jsonl", "twitter-v1")
    # every non-blank line is quarantined (7 lines, 1 blank): no posts staged; lines 1, 3, 5, 6, 7
    # are v2 records (pointed to --format twitter-v2), line 4 is invalid JSON
    assert accounting(case) == (0, 6) and n == 6
    assert [r[0] for r in rows(case, "SELECT source_line FROM stage_quarantine WHERE reason LIKE '%--format twitter-v2%' ORDER BY 1")] == [1, 3, 5, 6, 7]


def test_sniffing_claims_only_tweets(tmp_path: Path) -> None:
    for name in ("v2_pages.jsonl",):
        assert sniff(_source(DATA / name)).name == "twitter-v2"
    for name in ("v1_stream.jsonl.gz", "v1_array.json"):
        assert sniff(_source(DATA / name)).name == "twitter-v1"
    counts = tmp_path / "counts.jsonl"
    counts.write_text(json.dumps({"data": [{"end": "2021-10-16T19:00:00.000Z", "start": "2021-10-16T18:21:34.000Z", "tweet_count": 3}], "meta": {}}) + "\n")
    for r in (get_reader("twitter-v2"), get_reader("twitter-v1")):
        assert not r.sniff(_source(counts), counts.read_bytes())
    with pytest.raises(UnknownFormatError, match="tweet counts"):
        stage(tmp_path, counts, "twitter-v2")


# ---- real data ---------------------------------------------------------------------------------

TWARC2_TWEET_FILES = [
    "2sets.jsonl",
    "brexit.jsonl",
    "cotweet.jsonl",
    "edited.jsonl",
    "entities_test.jsonl",
    "geo_tweets.jsonl",
    "kpop.jsonl",
    "many_urls.jsonl",
    "media_tweet.jsonl",
    "mentions_tweet.jsonl",
    "quoted_edit.jsonl",
    "streaming_output_with_error.jsonl",
    "two_tweets.jsonl",
    "withheld.jsonl",
]


def _expected_v2(path: Path) -> dict[str, int]:
    """Counts computed straight from the JSON, independently of the reader."""
    tweets: list[dict[str, Any]] = []
    bad = 0
    for line in path.read_text().splitlines():
        try:
            page = json.loads(line)
        except json.JSONDecodeError:
            bad += 1
            continue
        d = page["data"]
        tweets += d if isinstance(d, list) else [d]

    def refs(t: dict[str, Any], typ: str) -> bool:
        return any(r["type"] == typ for r in t.get("referenced_tweets", []))

    ent = lambda t, k: len(t.get("entities", {}).get(k, []))  # noqa: E731
    return {
        "tweets": len(tweets),
        "bad": bad,
        "retweets": sum(refs(t, "retweeted") for t in tweets),
        "quotes": sum(refs(t, "quoted") for t in tweets),
        "replies": sum(refs(t, "replied_to") for t in tweets),
        "hashtags": sum(ent(t, "hashtags") for t in tweets),
        "urls": sum(ent(t, "urls") for t in tweets),
        "mentions": sum(ent(t, "mentions") for t in tweets),
    }


def _got_v2(case: Case) -> dict[str, int]:
    r = rows(
        case,
        """SELECT count(*), count(repost_of), count(quote_of), count(reply_to_post),
                  coalesce(sum(len(hashtags)), 0), coalesce(sum(len(urls)), 0), coalesce(sum(len(mentions)), 0)
           FROM stage_posts""",
    )[0]
    return dict(zip(["tweets", "retweets", "quotes", "replies", "hashtags", "urls", "mentions"], r)) | {
        "bad": one(case, "SELECT count(*) FROM stage_quarantine")
    }


@pytest.mark.real
@pytest.mark.parametrize("name", TWARC2_TWEET_FILES)
def test_twarc2_v2_files(real_data: Path, tmp_path: Path, name: str) -> None:
    path = real_data / "twitter-api-json-samples" / "twarc2_v2" / name
    case, fmt, n = stage(tmp_path, path)
    assert fmt == "twitter-v2"
    expected = _expected_v2(path)
    assert _got_v2(case) == expected
    kept, quarantined = accounting(case)
    assert n == kept + quarantined
    # every retweet's author is resolved through includes.tweets (or, when the original is missing
    # there, through the "RT @handle:" mention: 38 retweets on line 5 of withheld.jsonl, 9 of them
    # without a mention id, which keep the lower-cased handle)
    assert one(case, "SELECT count(*) FROM stage_posts WHERE NOT regexp_full_match(repost_of_account, '[0-9]+')") == (
        9 if name == "withheld.jsonl" else 0
    )
    assert one(case, "SELECT count(*) FROM stage_posts WHERE repost_of IS NOT NULL AND repost_of_account IS NULL") == 0
    assert one(case, "SELECT count(*) FROM stage_posts WHERE created_at IS NULL OR source_line IS NULL OR source_file <> ?".replace("?", f"'{path}'")) == 0


@pytest.mark.real
def test_twarc2_known_counts_and_one_tweet(real_data: Path, tmp_path: Path) -> None:
    d = real_data / "twitter-api-json-samples" / "twarc2_v2"
    # verified independently (python -c json.loads over the file): 100 tweets, 67 retweets,
    # 11 quotes, 10 replies, 157 hashtags, 28 urls
    case, _, n = stage(tmp_path, d / "brexit.jsonl")
    assert n == 100
    got = _got_v2(case)
    assert (got["retweets"], got["quotes"], got["replies"], got["hashtags"], got["urls"]) == (67, 11, 10, 157, 28)
    p = post(case, "1440716856763977732")
    assert p["text"].startswith("RT @carolJhedges: . #BorisJohnson has revealed")
    assert (p["account_id"], p["kind"], p["repost_of"], p["repost_of_account"]) == ("4100727022", "repost", "1440713161355583489", "711945679")
    assert (p["created_at"], p["hashtags"], p["mentions"], p["repost_count"]) == (datetime(2021, 9, 22, 16, 37, 20), ["BorisJohnson"], ["711945679"], 22)
    a = account(case, "4203239195")
    assert (a["screen_name"], a["follower_count"], a["following_count"]) == ("WarmongerHodges", 34920, 3552)
    assert one(case, "SELECT count(*) FROM stage_accounts") == one(case, "SELECT count(DISTINCT account_id) FROM stage_posts") == 98


@pytest.mark.real
def test_twarc2_streaming_file_with_malformed_line(real_data: Path, tmp_path: Path) -> None:
    path = real_data / "twitter-api-json-samples" / "twarc2_v2" / "streaming_output_with_error.jsonl"
    case, _, n = stage(tmp_path, path)
    # 8 lines: 7 one-tweet stream pages, line 8 is cut off mid-object
    assert accounting(case) == (7, 1)
    assert n == 8
    line, raw, reason = rows(case, "SELECT source_line, raw, reason FROM stage_quarantine")[0]
    assert line == 8
    assert raw.startswith('{"data": {"author_id": "1021159080151404544"')
    assert reason.startswith("invalid JSON")
    assert [r[0] for r in rows(case, "SELECT source_line FROM stage_posts ORDER BY 1")] == [1, 2, 3, 4, 5, 6, 7]


@pytest.mark.real
def test_twarc2_non_tweet_files_are_not_claimed(real_data: Path, tmp_path: Path) -> None:
    d = real_data / "twitter-api-json-samples" / "twarc2_v2"
    for name in ("counts.jsonl", "users.jsonl"):
        with pytest.raises(UnknownFormatError):
            sniff(_source(d / name))
    with pytest.raises(UnknownFormatError, match="user objects"):
        stage(tmp_path, d / "users.jsonl", "twitter-v2")


@pytest.mark.real
def test_v1_stream_681_tweets(real_data: Path, tmp_path: Path) -> None:
    path = real_data / "twitter-api-json-samples" / "v1_1" / "api-stream-small.json.gz"
    case, fmt, n = stage(tmp_path, path)
    assert fmt == "twitter-v1"
    assert n == 681 and accounting(case) == (681, 0)
    # independently: statuses with retweeted_status, quotes = quoted_status without retweeted_status,
    # replies = in_reply_to_status_id_str set, extended = extended_tweet present
    statuses = [json.loads(x) for x in gzip.open(path, "rt")]
    n_rt = sum("retweeted_status" in s for s in statuses)
    n_q = sum("quoted_status" in s and "retweeted_status" not in s for s in statuses)
    n_rep = sum(bool(s.get("in_reply_to_status_id_str")) for s in statuses)
    assert (n_rt, n_q, n_rep) == (328, 82, 115)
    assert rows(case, "SELECT count(repost_of), count(repost_of_account), count(quote_of), count(reply_to_post) FROM stage_posts") == [(328, 328, 82, 115)]
    ext = {s["id_str"]: s["extended_tweet"]["full_text"] for s in statuses if "extended_tweet" in s}
    assert len(ext) == 74
    got = dict(rows(case, "SELECT post_id, text FROM stage_posts WHERE post_id IN (SELECT unnest(?))", [list(ext)]))
    assert got == ext
    p = post(case, "1178007888742293504")  # line 29: a truncated status with extended_tweet
    assert p["text"] == (
        "#theboss #jefa #nahreptop250 #nahrep @nahrep #olivaresandmolinateam #realtors #realestate #sandiego "
        "@ Manchester Grand Hyatt San Diego Suite 712 https://t.co/I6tkSVsgIB"
    )
    assert p["hashtags"] == ["theboss", "jefa", "nahreptop250", "nahrep", "olivaresandmolinateam", "realtors", "realestate", "sandiego"]
    assert p["urls"] == ["https://www.instagram.com/p/B29t0pfj69T/?igshid=1fdcpeqtaynr3"]
    assert p["mentions"] == ["94130217"]
    assert (p["account_id"], p["kind"], p["created_at"], p["lang"], p["client"]) == (
        "1270106738", "post", datetime(2019, 9, 28, 18, 5, 41), "fr", "Instagram"
    )
    assert (p["latitude"], p["longitude"], p["source_line"]) == (pytest.approx(32.7103196), pytest.approx(-117.16806045), 29)
    a = account(case, "1270106738")
    assert (a["screen_name"], a["location"], a["follower_count"], a["following_count"]) == ("OlivaresTeam", "Haverhill MA", 168, 55)


@pytest.mark.real
def test_v1_bloc_json_array(real_data: Path, tmp_path: Path) -> None:
    path = real_data / "twitter-api-json-samples" / "v1_1_bloc" / "sample_raw_tweets_1.json.gz"
    case, fmt, n = stage(tmp_path, path)
    assert fmt == "twitter-v1"
    tweets = json.load(gzip.open(path))
    assert len(tweets) == 291
    assert n == 291 and accounting(case) == (291, 0)
    assert one(case, "SELECT count(*) FROM stage_posts WHERE reply_to_post IS NOT NULL") == sum(bool(t.get("in_reply_to_status_id")) for t in tweets) == 19
    first = post(case, "6471550203")
    assert (first["text"], first["account_id"], first["source_line"]) == ("Let the healing begin.", "8943", 2)
    assert account(case, "8943")["screen_name"] == "jesus"


# ---- end to end through cibscope.ingest (reader + shared finalize) ------------------------------


def test_end_to_end_fixtures(tmp_path: Path) -> None:
    from cibscope.ingest import ingest

    case_path = tmp_path / "e2e.duckdb"
    report = ingest([DATA / "v2_pages.jsonl", DATA / "v1_stream.jsonl.gz"], case_path)
    got = {Path(f.source_file).name: (f.format, f.status, f.rows_read, f.rows_kept, f.rows_quarantined) for f in report.files}
    assert got == {
        "v2_pages.jsonl": ("twitter-v2", "ingested", 6, 3, 3),
        "v1_stream.jsonl.gz": ("twitter-v1", "ingested", 7, 3, 4),
    }
    case = open_case(case_path)
    try:
        # hashtags are case-folded by finalize: News (1001), Long (1005), Tag1, tag2 (2001)
        assert rows(case, "SELECT post_id, hashtag, hashtag_raw FROM post_hashtags ORDER BY post_id, position") == [
            ("1001", "news", "News"),
            ("1005", "long", "Long"),
            ("2001", "tag1", "Tag1"),
            ("2001", "tag2", "tag2"),
        ]
        assert one(case, "SELECT count(*) FROM quarantine") == 7
        assert one(case, "SELECT count(*) FROM accounts") == 5  # 11, 12, 13 (v2) + 20, 24 (v1.1)
    finally:
        case.close()
    again = ingest([DATA / "v2_pages.jsonl"], case_path)
    assert [f.status for f in again.files] == ["already ingested"]


@pytest.mark.real
def test_end_to_end_twarc2_folder(real_data: Path, tmp_path: Path) -> None:
    from cibscope.ingest import ingest

    folder = real_data / "twitter-api-json-samples" / "twarc2_v2"
    report = ingest([folder], tmp_path / "twarc2.duckdb")
    by_name = {Path(f.source_file).name: f for f in report.files}
    assert {n for n, f in by_name.items() if f.status == "skipped"} == {"LICENSE.twarc-csv", "counts.jsonl", "users.jsonl"}
    assert {n for n, f in by_name.items() if f.status == "ingested"} == set(TWARC2_TWEET_FILES)
    for f in report.files:
        assert f.rows_read == f.rows_kept + f.rows_quarantined, f.source_file
    stream = by_name["streaming_output_with_error.jsonl"]
    assert (stream.rows_read, stream.rows_kept, stream.rows_quarantined, stream.quarantine_reasons) == (8, 7, 1, {"invalid JSON": 1})
    # 2sets.jsonl holds the same two pages as brexit.jsonl and kpop.jsonl (ingested after it,
    # in name order), so their tweets are already in the case: quarantined, not duplicated
    ids = lambda name: {t["id"] for line in (folder / name).read_text().splitlines() for t in json.loads(line)["data"]}  # noqa: E731
    assert ids("brexit.jsonl") | ids("kpop.jsonl") == ids("2sets.jsonl")
    assert (by_name["brexit.jsonl"].rows_kept, by_name["kpop.jsonl"].rows_kept) == (0, 0)
    case = open_case(tmp_path / "twarc2.duckdb")
    try:
        assert one(case, "SELECT count(*) FROM posts") == report.totals()["rows_kept"]
        assert one(case, "SELECT count(*) FROM posts WHERE kind = 'repost' AND repost_of_account IS NULL") == 0
        assert one(case, "SELECT count(*) FROM post_hashtags") > 0 and one(case, "SELECT count(*) FROM post_urls") > 0
    finally:
        case.close()


def test_sniffing_a_page_longer_than_the_head(tmp_path: Path) -> None:
    # the first line is an empty page, the second a page of ~200 KB: the head (64 KB) holds only
    # its beginning, whose first tweet is enough to recognise v2
    tweet = {"id": "1", "author_id": "2", "created_at": "2021-01-01T00:00:00.000Z", "text": "x" * 2000}
    page = {"data": [dict(tweet, id=str(i)) for i in range(100)], "includes": {}, "__twarc": {}}
    p = tmp_path / "long.jsonl"
    p.write_text(json.dumps({"data": [], "meta": {"result_count": 0}, "__twarc": {}}) + "\n" + json.dumps(page) + "\n")
    src = _source(p)
    assert len(src.head()) == 65536 < p.stat().st_size
    assert sniff(src).name == "twitter-v2"
    case, _, n = stage(tmp_path, p)
    assert n == 100 and one(case, "SELECT min(source_line) FROM stage_posts") == 2


def test_a_read_context_holds_the_case_engine(tmp_path: Path) -> None:
    """Readers reach the case only through ``ctx.engine`` (issue 15): a Case given to the
    ReadContext is replaced by its engine, an engine is kept as it is."""
    case = open_case(tmp_path / "c.duckdb")
    try:
        src = _source(sorted(DATA.glob("*.jsonl"))[0])
        assert ReadContext(case, src).engine is case.engine  # type: ignore[arg-type]
        assert ReadContext(case.engine, src).engine is case.engine
        assert not hasattr(ReadContext(case.engine, src), "con")
    finally:
        case.close()
