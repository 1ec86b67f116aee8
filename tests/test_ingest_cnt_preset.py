"""The generic reader's ``coordination-network-toolkit`` preset: the peer tool's own CSV input."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from cibscope.case import open_case
from cibscope.ingest import ingest
from cibscope.ingest.generic import load_mapping, presets

# The toolkit's 8 columns. Times are POSIX seconds (1483228800 = 2017-01-01 00:00:00 UTC).
#  line 2  m1 alice posts, two space-separated URLs, "#Tag" and "@Bob" in the text
#  line 3  m2 bob retweets m1 at 00:06:40
#  line 4  m3 carol retweets m1 at 00:07:40, exactly 60 s after m2
#  line 5  m4 alice replies to m2 at 00:08:20.5 (text quoted: it holds a comma)
#  line 6  m5 dave retweets m1 at 00:08:41 (integer seconds), 61 s after m3
CSV = """message_id,user_id,username,repost_id,reply_id,message,timestamp,urls
m1,u1,alice,,,hello #Tag @Bob,1483229164.362,https://a.example/x https://b.example/y
m2,u2,bob,m1,,RT @alice: hello,1483229200.000,
m3,u3,carol,m1,,RT @alice: hello,1483229260,
m4,u1,alice,,m2,"@bob thanks, really",1483229300.5,
m5,u4,dave,m1,,RT @alice: hello,1483229321,
"""


def test_preset_is_shipped() -> None:
    m = load_mapping("coordination-network-toolkit")
    assert "coordination-network-toolkit" in presets()
    assert m.columns["post_id"] == "message_id" and m.columns["repost_of"] == "repost_id"
    assert m.time_format == "epoch_s"


def test_ingest_toolkit_csv_exactly(tmp_path: Path) -> None:
    src = tmp_path / "toolkit.csv"
    src.write_text(CSV, encoding="utf-8")
    case_path = tmp_path / "c.duckdb"
    # no --mapping: the exact header selects the preset
    report = ingest([src], case_path)
    assert report.totals()["rows_kept"] == 5 and report.totals()["rows_quarantined"] == 0
    case = open_case(case_path)
    try:
        con = case.con
        got = con.execute(
            "SELECT post_id, account_id, kind, repost_of, reply_to_post, created_at, time_precision, source_line "
            "FROM posts ORDER BY post_id"
        ).fetchall()
        assert got == [
            ("m1", "u1", "post", None, None, datetime(2017, 1, 1, 0, 6, 4, 362000), "second", 2),
            ("m2", "u2", "repost", "m1", None, datetime(2017, 1, 1, 0, 6, 40), "second", 3),
            ("m3", "u3", "repost", "m1", None, datetime(2017, 1, 1, 0, 7, 40), "second", 4),
            ("m4", "u1", "reply", None, "m2", datetime(2017, 1, 1, 0, 8, 20, 500000), "second", 5),
            ("m5", "u4", "repost", "m1", None, datetime(2017, 1, 1, 0, 8, 41), "second", 6),
        ]
        assert con.execute("SELECT url_raw FROM post_urls WHERE post_id = 'm1' ORDER BY position").fetchall() == [
            ("https://a.example/x",), ("https://b.example/y",),
        ]
        assert con.execute("SELECT hashtag_raw FROM post_hashtags").fetchall() == [("Tag",)]
        assert con.execute("SELECT account_id, screen_name FROM accounts ORDER BY 1").fetchall() == [
            ("u1", "alice"), ("u2", "bob"), ("u3", "carol"), ("u4", "dave"),
        ]
        # co-retweet with the toolkit's definition: only m2-m3 (60 s apart, the window is
        # inclusive); m5 is 61 s after m3 and 121 s after m2
        from cibscope.networks.cooccurrence import directed_counts_sql, drop_temp, run_cooccurrence
        from cibscope.traces import get_trace

        co = run_cooccurrence(con, get_trace("co_retweet")(window=60.0))
        assert (co.rows, co.keys, co.action_pairs) == (3, 1, 1)
        assert sorted(con.execute(directed_counts_sql()).fetchall()) == [("u2", "u3", 1), ("u3", "u2", 1)]
        drop_temp(con)
    finally:
        case.close()
