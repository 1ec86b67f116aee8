"""Every trace on a tiny hand-made case; the expected pairs are derived in the comments.

Significance is switched off here (alpha = 1, min_shared = 1) so each test checks only what
the trace extracts and the builder pairs; tests/test_networks.py covers significance.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cibscope.case import open_case
from cibscope.networks import build_networks
from cibscope.testing import T0, insert_rows, snowflake
from cibscope.traces import get_trace


@pytest.fixture
def case(case_path: Path):
    c = open_case(case_path)
    yield c
    c.close()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def post(pid: str, acc: str, seconds: float, **kw) -> dict:
    return dict(post_id=pid, account_id=acc, created_at=at(seconds), **kw)


def pairs(case, trace: str, **params) -> dict[tuple[str, str], int]:
    p = {"alpha": 1.0, "min_shared": 1, **params}
    build_networks(case, traces=[trace], params={trace: p})
    rows = case.engine.execute("SELECT account_a, account_b, n_shared FROM edges WHERE layer = ? ORDER BY 1, 2", [get_trace(trace).layer]).fetchall()
    return {(a, b): n for a, b, n in rows}


def items(case, trace: str) -> list[str]:
    return [r[0] for r in case.engine.execute("SELECT DISTINCT shared_item FROM evidence WHERE layer = ? ORDER BY 1", [trace]).fetchall()]


def test_co_retweet(case):
    # O1: a(0) b(59) -> pair; c(200) too late for both.  O2: a(500) c(510) -> pair a-c.
    insert_rows(case, "posts", [
        post("1", "a", 0, repost_of="O1"), post("2", "b", 59, repost_of="O1"), post("3", "c", 200, repost_of="O1"),
        post("4", "a", 500, repost_of="O2"), post("5", "c", 510, repost_of="O2"),
    ])
    assert pairs(case, "co_retweet") == {("a", "b"): 1, ("a", "c"): 1}
    assert items(case, "co_retweet") == ["O1", "O2"]
    # a 30 s window drops a-b (59 s apart)
    assert pairs(case, "co_retweet", window=30) == {("a", "c"): 1}


def test_co_quote(case):
    # Q quoted by a(0), b(40): pair; by c(300): alone.  Retweets of Q are not quotes.
    insert_rows(case, "posts", [
        post("1", "a", 0, quote_of="Q"), post("2", "b", 40, quote_of="Q"), post("3", "c", 300, quote_of="Q"),
        post("4", "d", 10, repost_of="Q"),
    ])
    assert pairs(case, "co_quote") == {("a", "b"): 1}


def test_co_reply_post_and_account_targets(case):
    # P1 (by account V) answered by a(0) and b(30): pair.  P2 (also by V) answered by c(20).
    # V answering its own post (a thread) is ignored.
    # target='post':    a-b on P1.
    # target='account': key V: a(0), c(20), b(30) all within 60 s -> a-b, a-c, b-c.
    insert_rows(case, "posts", [
        post("1", "a", 0, reply_to_post="P1", reply_to_account="V"),
        post("2", "b", 30, reply_to_post="P1", reply_to_account="V"),
        post("3", "c", 20, reply_to_post="P2", reply_to_account="V"),
        post("4", "V", 25, reply_to_post="P1", reply_to_account="V"),
    ])
    assert pairs(case, "co_reply") == {("a", "b"): 1}
    assert pairs(case, "co_reply", target="account") == {("a", "b"): 1, ("a", "c"): 1, ("b", "c"): 1}


def _url(pid: str, url: str, domain: str, short: bool = False) -> dict:
    return dict(post_id=pid, position=0, url=url, url_raw=url, domain=domain, is_shortener=short)


def test_co_link_and_co_domain(case):
    # a(0) and b(30) post https://x.example/1; c(40) posts https://x.example/2 (same domain);
    # d(10) and e(20) post two different bit.ly links; f(5) and g(15) *retweet* a post carrying URL 1.
    # co_link: a-b (URL 1).  include_reposts: also f, g on URL 1 -> every pair of a, b, f, g.
    # co_domain: x.example: a, b, c -> a-b, a-c, b-c; bit.ly is a shortener: left out.
    insert_rows(case, "posts", [
        post("1", "a", 0), post("2", "b", 30), post("3", "c", 40), post("4", "d", 10), post("5", "e", 20),
        post("6", "f", 5, repost_of="1"), post("7", "g", 15, repost_of="1"),
    ])
    insert_rows(case, "post_urls", [
        _url("1", "https://x.example/1", "x.example"), _url("2", "https://x.example/1", "x.example"),
        _url("3", "https://x.example/2", "x.example"), _url("4", "https://bit.ly/aa", "bit.ly", True),
        _url("5", "https://bit.ly/bb", "bit.ly", True), _url("6", "https://x.example/1", "x.example"),
        _url("7", "https://x.example/1", "x.example"),
    ])
    assert pairs(case, "co_link") == {("a", "b"): 1}
    assert set(pairs(case, "co_link", include_reposts=True)) == {("a", "b"), ("a", "f"), ("a", "g"), ("b", "f"), ("b", "g"), ("f", "g")}
    assert pairs(case, "co_domain") == {("a", "b"): 1, ("a", "c"): 1, ("b", "c"): 1}
    # with shorteners: d(10)-e(20) on bit.ly as well
    assert pairs(case, "co_domain", include_shorteners=True)[("d", "e")] == 1


def _tags(pid: str, *tags: str) -> list[dict]:
    return [dict(post_id=pid, position=i, hashtag=t, hashtag_raw=t) for i, t in enumerate(tags)]


def test_co_hashtag(case):
    # #vote: a(0), b(50) -> pair; c(100) is 50 s after b -> pair b-c; a-c 100 s: out.
    # d's retweet carrying #vote at 10 s is left out.
    insert_rows(case, "posts", [post("1", "a", 0), post("2", "b", 50), post("3", "c", 100), post("4", "d", 10, repost_of="9")])
    insert_rows(case, "post_hashtags", _tags("1", "vote") + _tags("2", "vote") + _tags("3", "vote") + _tags("4", "vote"))
    assert pairs(case, "co_hashtag") == {("a", "b"): 1, ("b", "c"): 1}
    assert items(case, "co_hashtag") == ["#vote"]


def test_hashtag_sequence(case):
    # Day 1: a posts [h1 h2 h3] then [h4 h5]; b posts [h1 h2 h3 h4 h5] in one post -> same
    # sequence 'h1 h2 h3 h4 h5' -> pair a-b.  c posts the same tags in another order: no pair.
    # d posts only 4 of them (< min_hashtags = 5): left out.  e repeats a's sequence on day 2:
    # another day, another key: no pair.
    day2 = 86400
    insert_rows(case, "posts", [
        post("1", "a", 0), post("2", "a", 600), post("3", "b", 3000), post("4", "c", 100), post("5", "d", 50),
        post("6", "e", day2 + 100),
    ])
    insert_rows(case, "post_hashtags", _tags("1", "h1", "h2", "h3") + _tags("2", "h4", "h5") + _tags("3", "h1", "h2", "h3", "h4", "h5")
                + _tags("4", "h5", "h4", "h3", "h2", "h1") + _tags("5", "h1", "h2", "h3", "h4") + _tags("6", "h1", "h2", "h3", "h4", "h5"))
    assert pairs(case, "hashtag_sequence") == {("a", "b"): 1}
    assert items(case, "hashtag_sequence") == ["2020-01-01 #h1 #h2 #h3 #h4 #h5"]
    # with min_hashtags = 4, d's 'h1 h2 h3 h4' is in but matches nobody; same pairs
    assert pairs(case, "hashtag_sequence", min_hashtags=4) == {("a", "b"): 1}


def test_co_mention(case):
    # a(0) and b(20) mention m1 -> pair.  c(30) mentions m1 only because it replies to m1
    # (the reply's automatic mention): left out by default, in with include_reply_target.
    insert_rows(case, "posts", [post("1", "a", 0), post("2", "b", 20), post("3", "c", 30, reply_to_post="X", reply_to_account="m1")])
    insert_rows(case, "post_mentions", [dict(post_id=p, position=0, mentioned="m1") for p in ("1", "2", "3")])
    assert pairs(case, "co_mention") == {("a", "b"): 1}
    assert pairs(case, "co_mention", include_reply_target=True) == {("a", "b"): 1, ("a", "c"): 1, ("b", "c"): 1}


LATIN = (
    "the city council voted last night to close the old library on main street and to sell the land "
    "to a developer who plans luxury flats there"
)  # 28 words: 27 word bigrams
HAN = "今天香港的示威者再次走上街头他们破坏公共设施严重影响了市民的正常生活警方呼吁大家保持冷静不要相信谣言"  # 50 characters


def test_near_duplicate_latin_and_cjk(case):
    words = LATIN.split()
    edited = " ".join(words[:10] + ["yesterday"] + words[11:])  # one word changed: 2 of 27 bigrams differ
    # word-bigram Jaccard(a, b) = 25 / 29 = 0.86 >= 0.7 -> pair a-b; c posts the exact text of
    # a with a URL and a mention (removed by normalisation) -> identical: pairs a-c, b-c.
    # d posts an unrelated text; e *retweets* a (retweets are left out).
    han_edit = HAN[:20] + "再" + HAN[21:]  # one character changed: 3 of 48 trigrams differ -> 45/51 = 0.88
    han_shuffled = HAN[::-1]  # same characters, different order: character-set Jaccard 1, trigram Jaccard 0
    insert_rows(case, "posts", [
        post("1", "a", 0, text=LATIN), post("2", "b", 600, text=edited),
        post("3", "c", 1200, text="https://t.co/xyz @someone " + LATIN.upper()),
        post("4", "d", 30, text="completely different words about football results and the weather this weekend in town"),
        post("5", "e", 10, text=LATIN, repost_of="1"),
        # Chinese: f and g near-copies; h the same characters reversed
        post("6", "f", 5000, text=HAN), post("7", "g", 5100, text=han_edit), post("8", "h", 5200, text=han_shuffled),
        # short texts are left out (fewer than min_shingles = 5 shingles)
        post("9", "i", 7000, text="thank you"), post("10", "j", 7001, text="thank you"),
    ])
    assert pairs(case, "near_duplicate") == {("a", "b"): 1, ("a", "c"): 1, ("b", "c"): 1, ("f", "g"): 1}
    ev = case.engine.execute("SELECT post_a, post_b, seconds_apart FROM evidence WHERE account_a = 'f'").fetchall()
    assert ev == [("6", "7", 100.0)]
    # a 10-minute window (600 s) still has a-b (600 s) and b-c (600 s) but not a-c (1200 s)
    assert set(pairs(case, "near_duplicate", window=600)) == {("a", "b"), ("b", "c"), ("f", "g")}
    # a strict threshold keeps only the identical pair a-c (and b-c is no longer similar enough)
    assert set(pairs(case, "near_duplicate", threshold=1.0)) == {("a", "c")}


def test_near_duplicate_character_unigrams_would_match_the_shuffled_text(case):
    # char_ngram = 1 is the QUT toolkit's behaviour for Chinese (character sets): the reversed
    # text then has Jaccard 1 with the original and f-h becomes a pair, which is why the default is 3.
    insert_rows(case, "posts", [post("6", "f", 5000, text=HAN), post("8", "h", 5200, text=HAN[::-1])])
    assert pairs(case, "near_duplicate") == {}
    assert pairs(case, "near_duplicate", char_ngram=1) == {("f", "h"): 1}


def test_fast_retweet(case):
    # O1 posted at 0 s (its snowflake id says so; it is not in the data): a retweets at 3 s,
    # b at 8 s, c at 30 s (slower than max_delay = 10 s).  O2 posted at 1000 s: a at 1001 s,
    # b at 1009 s.  O3 is in the data with a non-snowflake id, posted at 2000 s: a at 2002 s,
    # b at 2004 s.  d retweets O1 at 5 s but its time is minute-precision: left out.
    # -> a-b share O1, O2, O3 fast: n_shared = 3; c never fast.
    o1, o2 = snowflake(at(0), 1), snowflake(at(1000), 2)
    insert_rows(case, "posts", [
        post("O3", "z", 2000, text="original"),
        post("1", "a", 3, repost_of=o1), post("2", "b", 8, repost_of=o1), post("3", "c", 30, repost_of=o1),
        post("4", "a", 1001, repost_of=o2), post("5", "b", 1009, repost_of=o2),
        post("6", "a", 2002, repost_of="O3"), post("7", "b", 2004, repost_of="O3"),
        post("8", "d", 5, repost_of=o1, time_precision="minute"),
    ])
    assert pairs(case, "fast_retweet") == {("a", "b"): 3}
    # with max_delay = 30 s c joins on O1
    assert pairs(case, "fast_retweet", max_delay=30.0) == {("a", "b"): 3, ("a", "c"): 1, ("b", "c"): 1}


def test_sync_activity(case):
    # a and b post in the same 10-s bins ten times (at 600k + 1 s and 600k + 8 s, k = 0..9).
    # c posts at 600k + 300 s (other bins), except for k = 0 at 5 s (a's and b's first bin):
    # a-c and b-c share 1 bin.  d posts only 3 times (< min_posts = 10): left out.
    rows = []
    for k in range(10):
        rows += [post(f"a{k}", "a", 600 * k + 1), post(f"b{k}", "b", 600 * k + 8), post(f"c{k}", "c", 600 * k + 300 if k else 5)]
    rows += [post(f"d{k}", "d", 600 * k + 2) for k in range(3)]
    insert_rows(case, "posts", rows)
    assert pairs(case, "sync_activity") == {("a", "b"): 10, ("a", "c"): 1, ("b", "c"): 1}
    # 10-minute bins: c's 600k + 300 s is in bin k too -> c shares all 10 bins with a and b
    assert pairs(case, "sync_activity", bin_seconds=600) == {("a", "b"): 10, ("a", "c"): 10, ("b", "c"): 10}
    # min_posts = 11: nobody qualifies
    assert pairs(case, "sync_activity", min_posts=11) == {}
    # max_neighbors = 1 in the first 10-s bin (a0 at 1 s, c0 at 5 s, b0 at 8 s): each post is
    # paired with its next post only -> a-c and c-b; a-b loses that bin (9 left), 1 pair bounded
    assert pairs(case, "sync_activity", max_neighbors=1) == {("a", "b"): 9, ("a", "c"): 1, ("b", "c"): 1}


def test_account_batch(case):
    # created 2019-06-01: a 'news1234' and b 'info5678' (shape a9999) -> pair; c 'news12'
    # (shape a99): no.  d and e are hashed (no usable handle) and created the same day -> the
    # day alone: pair d-e.  f has shape a9999 but another day.
    day = datetime(2019, 6, 1)
    insert_rows(case, "accounts", [
        dict(account_id="a", screen_name="news1234", created_at=day + timedelta(hours=1)),
        dict(account_id="b", screen_name="Info5678", created_at=day + timedelta(hours=22)),
        dict(account_id="c", screen_name="news12", created_at=day),
        dict(account_id="d", screen_name="x9Fh==", is_hashed=True, created_at=day),
        dict(account_id="e", screen_name="Qk2p==", is_hashed=True, created_at=day),
        dict(account_id="f", screen_name="abcd9999", created_at=day + timedelta(days=1)),
    ])
    assert pairs(case, "account_batch") == {("a", "b"): 1, ("d", "e"): 1}
    assert items(case, "account_batch") == ["created 2019-06-01, handle shape *", "created 2019-06-01, handle shape a9999"]
    # without handle shapes, everyone created on 2019-06-01 pairs up (a, b, c, d, e)
    assert len(pairs(case, "account_batch", handle_shape=False)) == 10
    ev = case.engine.execute("SELECT post_a, source_a, source_b FROM evidence WHERE account_a = 'a' AND account_b = 'b'").fetchall()
    assert ev == [(None, "accounts.csv:2", "accounts.csv:3")]


def test_profile_template(case):
    # a 'Love my country. Mom of 3!' and b 'love my country - mom of 5' -> template
    # 'love my country mom of 0' -> pair.  c 'Hi' is shorter than min_length: left out.
    # Names: 'Patriot Voice 12' / 'Patriot Voice 87' (d, e) -> 'patriot voice 0' -> pair;
    # 'John Smith' twice (f, g) has no number: left out unless names='all'.
    insert_rows(case, "accounts", [
        dict(account_id="a", description="Love my country. Mom of 3!", display_name="Ann"),
        dict(account_id="b", description="love my country - mom of 5", display_name="Bea"),
        dict(account_id="c", description="Hi", display_name="Cy"),
        dict(account_id="d", display_name="Patriot Voice 12"),
        dict(account_id="e", display_name="Patriot Voice 87"),
        dict(account_id="f", display_name="John Smith"),
        dict(account_id="g", display_name="John Smith"),
    ])
    assert pairs(case, "profile_template") == {("a", "b"): 1, ("d", "e"): 1}
    assert pairs(case, "profile_template", names="all") == {("a", "b"): 1, ("d", "e"): 1, ("f", "g"): 1}
    assert pairs(case, "profile_template", names="none") == {("a", "b"): 1}
