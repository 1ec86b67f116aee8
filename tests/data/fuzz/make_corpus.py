"""Write the fuzz corpus: minimal malformed input files, one or a few per cause of failure that
issue 14 found (and their neighbours). ``tests/test_fuzz.py`` says what each must give.

    python tests/data/fuzz/make_corpus.py     # rewrites the files next to this script

Deterministic: the same files every time (gzip without a timestamp).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

from cibscope.ingest import io_archive

HERE = Path(__file__).resolve().parent
DEEP = "[" * 5000 + "]" * 5000

# -- Twitter API v2 (flattened tweets and pages) ------------------------------------------------


def v2(i: int, **over: object) -> dict:
    t = {"id": str(1182948211848441856 + i), "text": f"post {i} #tag", "author_id": str(100 + i % 3),
         "created_at": "2019-10-12T09:00:00.000Z", "entities": {"hashtags": [{"tag": "tag"}]}}
    t.update(over)
    return {k: v for k, v in t.items() if v is not ...}


def page(tweets: list, **over: object) -> dict:
    p = {"data": tweets, "includes": {"users": [{"id": "100", "username": "u100", "name": "U"}]}, "meta": {"result_count": len(tweets)}}
    p.update(over)
    return p


def v1(i: int, **over: object) -> dict:
    s = {"created_at": "Wed Oct 10 20:19:24 +0000 2018", "id_str": str(1050118621198921728 + i), "text": f"status {i}",
         "user": {"id_str": "200", "screen_name": "u200", "followers_count": 3}, "entities": {"hashtags": [], "urls": [], "user_mentions": []}}
    s.update(over)
    return s


def lines(objs: list) -> str:
    return "".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objs)


# -- the IO archive ----------------------------------------------------------------------------------

TWEET_COLUMNS = list(io_archive.TWEET_COLUMNS)


def io_row(i: int, **over: str) -> dict:
    r = dict.fromkeys(TWEET_COLUMNS, "")
    r.update(tweetid=str(1161219769488113671 + i), userid=f"u{i % 5}", user_display_name=f"User {i % 5}",
             user_screen_name=f"user{i % 5}", follower_count="10", following_count="20", account_creation_date="2017-08-30",
             tweet_language="en", tweet_text=f"tweet {i} #HK", tweet_time="2019-08-13 10:15", is_retweet="false",
             latitude="absent", longitude="absent", quote_count="0", reply_count="0", like_count="3", retweet_count="0",
             hashtags="['HK']", urls="[]", user_mentions="[]")
    r.update(over)
    return r


def io_csv(rows: list[dict]) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, TWEET_COLUMNS, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def write(name: str, data: str | bytes) -> None:
    (HERE / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def main() -> None:
    # 1. deep nesting: in JSON lines, at the head (format detection), inside an array document
    write("v2_deep_nesting.jsonl", lines([v2(1), DEEP, v2(2)]))
    write("v2_deep_nesting_first.jsonl", lines([DEEP, v2(1)]))
    write("v1_deep_in_array.json", "[" + json.dumps(v1(1)) + ",\n" + DEEP + ",\n" + json.dumps(v1(2)) + "]\n")
    write("deep_document.json", DEEP + "\n")
    # 2. wrong JSON types in v2 and v1.1 fields (one record each; the last record is valid)
    write("v2_wrong_types.jsonl", lines([
        v2(1, entities="x"),                                                    # row field: quarantined
        v2(2, geo="x"),                                                         # metadata: NULL
        v2(3, note_tweet={"text": "long", "entities": "x"}),                    # quarantined
        v2(4, public_metrics=[1]),                                              # NULL counts
        v2(5, text=5),                                                          # quarantined
        v2(6, referenced_tweets="x"),                                           # quarantined
        v2(7, author={"id": 5}, author_id=...),                                 # an author object: kept
        page([v2(8)], includes={"users": [{"id": "100", "username": "u", "public_metrics": "x", "entities": {"url": {"urls": "x"}}, "created_at": 5}]}),
        page([v2(9)], includes={"tweets": 5}),                                  # page expansions unusable: quarantined
        page([v2(10)], includes=[]),                                            # quarantined
        page([v2(11), 5, "x", [1]]),                                            # 1 kept, 3 quarantined
        v2(12, entities={"hashtags": "x"}),                                     # quarantined
        v2(13, entities={"mentions": [{"id": "abc", "username": "x"}]}),        # quarantined (mention id)
        v2(14),                                                                 # kept
    ]))
    write("v1_wrong_types.jsonl", lines([
        v1(1, entities="x"),
        v1(2, user={"id_str": "200", "entities": "x", "followers_count": "many"}),  # profile fields NULL: kept
        v1(3, retweeted_status={"id_str": "5", "user": "x"}),
        v1(4, extended_tweet={"full_text": "x", "entities": "x"}),
        v1(5, text=5),
        v1(6, coordinates={"coordinates": ["a", "b"]}, geo="x", favorite_count=-3),  # metadata NULL: kept
        v1(7),
    ]))
    # 3. gzip: cut off, cut before any content, trailing garbage, a plain file named .gz
    rows = [io_row(i) for i in range(60)]
    full = gz(io_csv(rows))
    write("io_tweets_cut.csv.gz", full[: len(full) * 2 // 3])
    write("io_tweets_cut_header.csv.gz", full[:20])
    write("io_tweets_trailing_garbage.csv.gz", full + b"this is not gzip\n")
    write("io_tweets_plain_named.csv.gz", io_csv(rows[:5]))
    write("v2_cut.jsonl.gz", gz(lines([v2(i) for i in range(40)]).encode())[:300])
    # 6. dates out of range in the generic reader (the channels mapping of tests/data/generic)
    write("generic_dates.csv", (
        "msg_id,channel,channel_name,date,message,fwd_from,reply_to,tags,links,likes,lang\n"
        "1,chan_a,A,10000-01-01 10:00:00,far future,,,,,1,en\n"
        "2,chan_a,A,0001-01-01 10:00:00,long ago,,,,,1,en\n"
        "3,chan_a,A,infinity,never,,,,,1,en\n"
        "4,chan_b,B,2022-03-01 10:00:09,fine,,,,,1.5,en\n"
        "5,chan_b,B,2022-03-01 10:00:19,fine too,,,,,0x10,en\n"
        "6,chan_a,A,2022-03-01 10:00:29,=cmd|' /C calc'!A0,,,,,7,en\n"
        "7,=HYPERLINK(1),A,2022-03-01 10:00:39,formula id,,,,,7,en\n"
        "8,chan_b,B,2022-03-01 10:00:49,float id,1.5e+18,,,,7,en\n"
    ))
    # 7. v2 pages whose data is a number or a string
    write("v2_scalar_data.jsonl", lines([{"data": 5, "meta": {}}, {"data": "x", "includes": {}}, {"data": None, "meta": {}}, page([v2(1), v2(2)]), "[]"]))
    # 8. ids: looser validation in JSON than in the IO reader, and beyond 64 bits
    write("v2_ids.jsonl", lines([v2(1, id=-5), v2(2, id="abc"), v2(3, id="0042"), v2(4, id=[1]), v2(5, id={"x": 1}),
                                 v2(6, id=True), v2(7, id=1.5), v2(8, author_id="-5"), v2(9, id="18446744073709551615"),
                                 v2(10, id=18446744073709551615), '{"id": 18446744073709551616, "text": "x", "author_id": "1", "created_at": "2019-10-12T09:00:00Z"}']))
    write("v1_ids_array.json", "[" + ",\n".join(json.dumps(s) for s in [v1(1)]) + ',\n{"created_at": "Wed Oct 10 20:19:24 +0000 2018", "id": 18446744073709551616, "text": "x", "user": {"id": 1}},\n'
          + ",\n".join(json.dumps(s) for s in [v1(2, id_str="-5"), v1(3, id_str="0042"), v1(4, user={"id_str": "abc"}), v1(5)]) + "]\n")
    write("io_values.csv", io_csv([
        io_row(1, like_count="1.5", retweet_count="0x10", reply_count="-3", quote_count="3.0"),
        io_row(2, latitude="1e23", longitude="NaN"),
        io_row(3, latitude="45.5", longitude="181"),
        io_row(4, tweetid="0042"), io_row(5, tweetid="-5"), io_row(6, tweetid="18446744073709551616"),
        io_row(7, tweet_time="10000-01-01 10:15"), io_row(8, tweet_time="1969-12-31 23:59"),
        io_row(9, userid="=cmd|' /C calc'!A0"), io_row(10, in_reply_to_tweetid="abc"),
        io_row(11, userid="+18cN/aB="),
    ]))
    # auto-detect names known files that hold no posts
    write("twarc2_users.jsonl", lines([{"data": [{"id": "1", "username": "a", "name": "A", "created_at": "2010-01-01T00:00:00.000Z"}], "meta": {}}]))
    write("twarc2_counts.jsonl", lines([{"data": [{"end": "2021-01-02T00:00:00.000Z", "start": "2021-01-01T00:00:00.000Z", "tweet_count": 5}], "meta": {"total_tweet_count": 5}}]))
    write("v1_users.jsonl", lines([{"id_str": "1", "screen_name": "a", "followers_count": 3, "name": "A"}]))
    # control characters (terminal injection) in names, texts and hashtags
    esc = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202e"
    write("io_control_chars.csv", io_csv([
        io_row(i, user_screen_name=f"evil{esc}{i % 5}", user_display_name=f"D{esc}", tweet_text=f"text {esc} #tag{esc} {i}",
               hashtags="['tag']", tweet_time=f"2019-08-13 10:{15 + i % 3:02d}")
        for i in range(12)
    ]))
    folder = HERE / "nothing_folder"
    folder.mkdir(exist_ok=True)
    (folder / "README.md").write_text("documentation only\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not data\n", encoding="utf-8")


if __name__ == "__main__":
    main()
