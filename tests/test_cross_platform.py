"""Cases of several platforms: the long-format merge, platform prefixes and clock shifts of the
generic reader, the cross-platform traces, the null kept per platform, and a generated
two-platform world whose planted operation must come out as one group spanning both platforms.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest
from typer.testing import CliRunner

from cibscope.case import _configure, open_case
from cibscope.cli import app
from cibscope.detect import detect
from cibscope.evidence.explain import explain_account
from cibscope.generate.cross_platform import generate_cross_platform
from cibscope.ingest import ingest
from cibscope.networks import build_networks
from cibscope.platforms import case_platforms, cross_platform_edges, group_platforms, platform_lags, platform_summary
from cibscope.schema import ALL_TABLES
from cibscope.testing import T0, insert_rows

GE_HEADER = "account_id,post_id,url_id,hashtag_id,domain_id,phash_id,timestamp\n"


def _q(case: Path, sql: str) -> list[tuple]:
    with open_case(case, create=False, read_only=True) as c:
        return c.con.execute(sql).fetchall()


# ---- the long format: rows of one post merged -------------------------------------------------


def test_rows_of_one_post_are_merged_and_accounted(tmp_path: Path) -> None:
    """german_elections' layout by hand: post 1 on three rows (a URL with its domain, two hashtags,
    one row repeated exactly), post 2 a domain without a URL, post 3 repeated with another account
    (quarantined), post 4 an image; line numbers in the quarantine point at the file."""
    f = tmp_path / "ge.csv"
    f.write_text(
        GE_HEADER
        + "tw_1,1,100,,10,,1629589836.0\n"   # line 2: url 100 on domain 10
        + "tw_1,1,,7,,,1629589836.0\n"       # line 3: hashtag 7
        + "tw_1,1,,7,,,1629589836.0\n"       # line 4: the same row again
        + "tw_1,1,,8,,,1629589836.0\n"       # line 5: hashtag 8
        + "fb_2,2,,,11,,1629589900.0\n"      # line 6: a domain without a URL
        + "fb_3,3,,9,,,1629589000.0\n"       # line 7
        + "fb_4,3,,9,,,1629589000.0\n"       # line 8: post 3 again, another account
        + "fb_4,4,,,,555,1629589999.0\n"     # line 9: an image
    )
    case = tmp_path / "c.duckdb"
    rep = ingest([f], case)  # picked by the preset's header
    (fr,) = rep.files
    assert fr.format == "generic" and (fr.rows_read, fr.rows_kept, fr.rows_quarantined) == (8, 7, 1)
    assert "3 kept row(s) merged" in fr.message
    assert _q(case, "SELECT rows_read, rows_kept, rows_quarantined FROM ingest_log") == [(8, 7, 1)]
    assert _q(case, "SELECT source_line, reason FROM quarantine") == [
        (8, "post_id '3' repeats line 7 with another account, platform, time, text or link")
    ]
    assert _q(case, "SELECT post_id, account_id, platform, source_line FROM posts ORDER BY post_id") == [
        ("1", "tw_1", "twitter", 2), ("2", "fb_2", "facebook", 6), ("3", "fb_3", "facebook", 7), ("4", "fb_4", "facebook", 9)
    ]
    # each hashtag once (the repeated row adds nothing), the URL with its domain, the bare domain
    assert _q(case, "SELECT post_id, hashtag, position FROM post_hashtags ORDER BY ALL") == [("1", "7", 1), ("1", "8", 2), ("3", "9", 1)]
    assert _q(case, "SELECT post_id, url, domain FROM post_urls ORDER BY ALL") == [("1", "100", "10"), ("2", None, "11")]
    assert _q(case, "SELECT post_id, image_hash FROM post_images") == [("4", "555")]
    assert _q(case, "SELECT account_id, platform, is_hashed FROM accounts ORDER BY 1") == [
        ("fb_2", "facebook", True), ("fb_3", "facebook", True), ("fb_4", "facebook", True), ("tw_1", "twitter", True)
    ]


def test_a_merged_post_dropped_as_already_in_the_case_takes_its_rows_along(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(GE_HEADER + "tw_1,1,,7,,,1629589836.0\n")
    b.write_text(GE_HEADER + "tw_1,1,,7,,,1629589836.0\ntw_1,1,,8,,,1629589836.0\ntw_1,2,,8,,,1629589837.0\n")
    case = tmp_path / "c.duckdb"
    ingest([a], case)
    (fr,) = ingest([b], case).files
    assert (fr.rows_read, fr.rows_kept, fr.rows_quarantined) == (3, 1, 2)
    assert [r[0] for r in _q(case, "SELECT source_line FROM quarantine ORDER BY 1")] == [2, 3]


def test_mapping_platform_prefix_and_clock_shift(tmp_path: Path) -> None:
    m = tmp_path / "m.toml"
    m.write_text(
        'platform = "other"\n[columns]\npost_id = "id"\naccount_id = "user"\n'
        '[platform_prefix]\ncolumn = "user"\nvalues = { tw_ = "twitter", fb_page_ = "facebook-pages", fb_ = "facebook" }\n'
        '[time]\ncolumn = "t"\nformat = "epoch_s"\nplatform_shift = { facebook = -14400 }\n'
    )
    f = tmp_path / "x.csv"
    f.write_text("id,user,t\n1,tw_a,1600000000\n2,fb_b,1600000000\n3,fb_page_c,1600000000\n4,zz,1600000000\n")
    case = tmp_path / "c.duckdb"
    ingest([f], case, mapping=m)
    rows = _q(case, "SELECT post_id, platform, epoch(created_at) FROM posts ORDER BY 1")
    assert rows == [("1", "twitter", 1600000000), ("2", "facebook", 1600000000 - 14400),
                    ("3", "facebook-pages", 1600000000), ("4", "other", 1600000000)]


@pytest.mark.parametrize(
    "body, match",
    [
        ('[entities]\nimages = "from_text"\n', "cannot be extracted from the text"),
        ('[rows]\nrepeats = "join"\n', "repeats"),
        ('[platform_prefix]\ncolumn = "user"\n', "platform_prefix"),
        ('[time]\ncolumn = "t"\nplatform_shift = { facebook = "4h" }\n', "platform_shift"),
    ],
)
def test_bad_new_mapping_keys_are_errors(tmp_path: Path, body: str, match: str) -> None:
    from cibscope.errors import CibscopeError
    from cibscope.ingest.generic import load_mapping

    base = 'platform = "x"\n[columns]\npost_id = "id"\naccount_id = "user"\ntext = "txt"\n'
    if "[time]" not in body:
        base += '[time]\ncolumn = "t"\n'
    m = tmp_path / "m.toml"
    m.write_text(base + body)
    with pytest.raises(CibscopeError, match=match):
        load_mapping(m)


@pytest.mark.real
def test_german_elections_ingests_with_row_accounting(real_data: Path, tmp_path: Path) -> None:
    path = real_data / "coortweet-coordination" / "german_elections.csv.gz"
    case = tmp_path / "ge.duckdb"
    (fr,) = ingest([path], case).files
    # SOURCE.md: 218,971 rows; 3 rows have no post id
    assert (fr.rows_read, fr.rows_kept, fr.rows_quarantined) == (218_971, 218_968, 3)
    assert fr.quarantine_reasons == {"missing post id": 3}
    # the file itself, read independently: posts and distinct (post, item) per kind
    raw = duckdb.connect()
    raw.execute(f"CREATE TABLE g AS SELECT * FROM read_csv('{path}', all_varchar = true) WHERE post_id IS NOT NULL")
    want_posts = raw.execute("SELECT count(DISTINCT post_id) FROM g").fetchone()[0]
    assert want_posts == 194_323
    assert fr.rows_kept - want_posts == 24_645 and "24,645 kept row(s) merged" in fr.message
    want = {
        "post_urls": raw.execute("SELECT count(*) FROM (SELECT DISTINCT post_id, url_id, domain_id FROM g WHERE url_id IS NOT NULL OR domain_id IS NOT NULL)").fetchone()[0],
        "post_hashtags": raw.execute("SELECT count(*) FROM (SELECT DISTINCT post_id, hashtag_id FROM g WHERE hashtag_id IS NOT NULL)").fetchone()[0],
        "post_images": raw.execute("SELECT count(*) FROM (SELECT DISTINCT post_id, phash_id FROM g WHERE phash_id IS NOT NULL)").fetchone()[0],
    }
    with open_case(case, create=False, read_only=True) as c:
        assert c.count("posts") == want_posts
        for table, n in want.items():
            assert c.count(table) == n, table
        # SOURCE.md: tw_ 137,402 rows, fb_ 81,569 rows; 58,317 accounts
        got = dict(c.con.execute("SELECT platform, count(DISTINCT account_id) FROM posts GROUP BY 1").fetchall())
        assert got == {"twitter": 36_662, "facebook": 21_652} and sum(got.values()) == 58_314  # 3 fb accounts only on rows without a post id
        assert [p["platform"] for p in case_platforms(c)] == ["twitter", "facebook"]
        # the clocks: Facebook's times run about four hours behind Twitter's on rarely shared items
        (lag,) = platform_lags(c)
        assert (lag["platform_a"], lag["platform_b"]) == ("facebook", "twitter")
        assert lag["peak_minutes"] == -240 and lag["peak_ratio"] > 20


# ---- the null kept per platform ------------------------------------------------------------------


def _null_world(con: duckdb.DuckDBPyConnection, seed: int, n_tw: int, n_fb: int, n_items: int) -> None:
    """No coordination: each item is posted by a few accounts of either platform at random times
    within two hours; Twitter has many more accounts (and so actions) than Facebook."""
    rng = np.random.default_rng(seed)
    accounts = [dict(account_id=f"t{i}", platform="twitter") for i in range(n_tw)] + [
        dict(account_id=f"f{i}", platform="facebook") for i in range(n_fb)
    ]
    ids = [a["account_id"] for a in accounts]
    posts, urls = [], []
    for k in range(n_items):
        base = T0 + timedelta(hours=3 * k)
        for acc in rng.choice(len(ids), size=int(rng.integers(2, 7)), replace=False):
            pid = f"p{len(posts)}"
            plat = accounts[acc]["platform"]
            posts.append(dict(post_id=pid, account_id=ids[acc], platform=plat, created_at=base + timedelta(seconds=int(rng.integers(0, 7200)))))
            urls.append(dict(post_id=pid, position=1, url=f"https://x.example/{k}", url_raw=f"https://x.example/{k}", domain="x.example"))
    insert_rows(con, "accounts", accounts)
    insert_rows(con, "posts", posts)
    insert_rows(con, "post_urls", urls)


def test_cross_platform_pvalues_are_calibrated_where_an_unstratified_null_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a world without coordination the xp_link layer keeps no edge, and its p-values are not
    smaller than chance; the same pairs scored with one null for both platforms (the shuffle
    letting Twitter's many accounts take Facebook's slots) come out far too significant."""
    from cibscope.networks import significance

    def pvals() -> np.ndarray:
        con = duckdb.connect()
        _configure(con)
        for t in ALL_TABLES:
            con.execute(t.ddl())
        _null_world(con, seed=5, n_tw=300, n_fb=30, n_items=1500)
        st = build_networks(con, traces=["xp_link"])
        assert st.layers["xp_link"].pairs_considered > 1000
        kept = st.layers["xp_link"].pairs_kept
        # raw p-values of every tested pair (build_layer keeps them in _cib_edges)
        from cibscope.networks import build_layer
        from cibscope.traces import get_trace

        build_layer(con, get_trace("xp_link")(), all_pairs=True)
        p = np.array([r[0] for r in con.execute("SELECT p_value FROM _cib_edges").fetchall()])
        con.close()
        return p, kept

    # a pair that never co-occurs is not tested (p = 1): count over all 300 x 30 possible pairs
    p, kept = pvals()
    assert kept == 0
    n_pairs = 300 * 30
    assert (p < 0.01).sum() <= 0.01 * n_pairs and (p < 0.001).sum() <= 0.001 * n_pairs
    monkeypatch.setattr(significance, "_platforms", lambda con: None)  # one null for both platforms
    p1, kept1 = pvals()
    assert (p1 < 0.001).sum() > 3 * max((p < 0.001).sum(), 1) and (p1 < 0.001).sum() > 0.002 * n_pairs


def test_single_platform_expectations_are_unchanged() -> None:
    """One platform: the stratified formula is the original one (same numbers)."""
    from cibscope.engine.duckdb import DuckDBEngine
    from cibscope.networks.significance import _expected_per_platform

    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE _cib_deg AS SELECT * FROM (VALUES (1, 3), (2, 5), (3, 2)) t(acc_i, d)")
    a, b = np.array([1, 1, 2]), np.array([2, 3, 3])
    w, w2 = np.array([1.0, 0.5, 2.0]), np.array([1.0, 0.25, 2.0])
    da, db = np.array([3.0, 3.0, 5.0]), np.array([5.0, 2.0, 2.0])
    exp, c = _expected_per_platform(DuckDBEngine(con), np.zeros(4, dtype=np.int64), a, b, w, w2, da, db)
    big_l = 10.0
    m1, m2 = 2 * w.sum(), 2 * w2.sum()
    np.testing.assert_allclose(exp, da * db * m1 / (big_l * (big_l - 1)))
    np.testing.assert_allclose(c, m2 / m1)


def test_same_platform_traces_pair_one_platform_only() -> None:
    """On a case of several platforms co_link pairs accounts of one platform; xp_link the others."""
    con = duckdb.connect()
    _configure(con)
    for t in ALL_TABLES:
        con.execute(t.ddl())
    insert_rows(con, "accounts", [dict(account_id="t1"), dict(account_id="t2"), dict(account_id="f1", platform="facebook")])
    posts, urls = [], []
    for k in range(6):
        for acc, dt in (("t1", 0), ("t2", 5), ("f1", 30)):
            pid = f"{acc}-{k}"
            posts.append(dict(post_id=pid, account_id=acc, platform="facebook" if acc == "f1" else "twitter",
                              created_at=T0 + timedelta(hours=k, seconds=dt)))
            urls.append(dict(post_id=pid, position=1, url=f"https://u/{k}", url_raw=f"https://u/{k}", domain="u"))
    insert_rows(con, "posts", posts)
    insert_rows(con, "post_urls", urls)
    from cibscope.networks import build_layer
    from cibscope.traces import get_trace

    build_layer(con, get_trace("co_link")(), all_pairs=True)
    assert con.execute("SELECT account_a, account_b FROM _cib_edges").fetchall() == [("t1", "t2")]
    build_layer(con, get_trace("xp_link")(), all_pairs=True)
    assert sorted(con.execute("SELECT account_a, account_b FROM _cib_edges").fetchall()) == [("f1", "t1"), ("f1", "t2")]
    # the directed counts (network --counts: single pairs counted in the join) keep the same rule
    from cibscope.networks.cooccurrence import directed_counts_sql, drop_temp, run_cooccurrence

    for name, want in (("co_link", [("t1", "t2", 6), ("t2", "t1", 6)]), ("xp_link", [("f1", "t1", 6), ("f1", "t2", 6), ("t1", "f1", 6), ("t2", "f1", 6)])):
        run_cooccurrence(con, get_trace(name)(), times=False, weights_only=True)
        assert sorted(con.execute(directed_counts_sql(weights=True)).fetchall()) == want, name
        drop_temp(con)


def test_cross_platform_layers_are_skipped_on_a_case_of_one_platform() -> None:
    con = duckdb.connect()
    _configure(con)
    for t in ALL_TABLES:
        con.execute(t.ddl())
    insert_rows(con, "posts", [dict(post_id="1", account_id="a", created_at=T0), dict(post_id="2", account_id="b", created_at=T0)])
    st = build_networks(con, traces=["xp_link", "xp_text"])
    assert st.layers["xp_link"].rows == 0 and st.layers["xp_text"].seconds == 0.0


# ---- a generated two-platform world -----------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[str]]]:
    d = tmp_path_factory.mktemp("xp")
    r = generate_cross_platform(d / "data", accounts=600, posts=30_000, seed=1)
    case = d / "case.duckdb"
    rep = ingest([r.posts_path], case)  # the preset cibscope-cross-platform, picked by the header
    assert rep.totals()["rows_kept"] == 30_000
    detect(case)
    return case, r.groups


def test_generator_is_deterministic(tmp_path: Path) -> None:
    a = generate_cross_platform(tmp_path / "a", accounts=200, posts=4_000, seed=3)
    b = generate_cross_platform(tmp_path / "b", accounts=200, posts=4_000, seed=3)
    for name in ("posts.csv", "truth.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert a.groups == b.groups and any(m.startswith("fb_") for m in a.groups["xp_1"])


def test_planted_cross_platform_operation_is_one_group_spanning_both_platforms(world: tuple[Path, dict[str, list[str]]]) -> None:
    case, truth = world
    xp, tw = set(truth["xp_1"]), set(truth["tw_1"])
    with open_case(case, create=False, read_only=True) as c:
        members = {}
        for gid, acc in c.con.execute("SELECT group_id, account_id FROM group_members").fetchall():
            members.setdefault(int(gid), set()).add(acc)
        info = group_platforms(c)
        # one group holds (nearly) the whole operation, Twitter accounts and Facebook pages alike
        best = max(members, key=lambda g: len(members[g] & xp))
        assert len(members[best] & xp) >= 0.9 * len(xp)
        assert len(members[best] - xp) <= 2
        assert {g for g in members if members[g] & xp} == {best}
        assert info[best]["spans"] and {p for p, _ in info[best]["platforms"]} == {"twitter", "facebook"}
        fb_members = {a for a in members[best] & xp if a.startswith("fb_")}
        assert len(fb_members) >= 0.9 * len([a for a in xp if a.startswith("fb_")])
        assert set(info[best]["cross_layers"]) >= {"xp_link", "xp_hashtag", "xp_text", "xp_image"}
        # the Twitter-only operation is a group of its own, on one platform
        other = max(members, key=lambda g: len(members[g] & tw))
        assert other != best and len(members[other] & tw) >= 0.9 * len(tw) and not info[other]["spans"]
        # cross-platform edges carry checkable evidence: two posts of different platforms
        edges = cross_platform_edges(c, group_id=best, evidence_per_edge=2, limit=5)
        assert edges and all(e["platform_a"] != e["platform_b"] for e in edges)
        ev = edges[0]["evidence"][0]
        plats = dict(c.con.execute("SELECT post_id, platform FROM posts WHERE post_id IN (?, ?)", [ev["post_a"], ev["post_b"]]).fetchall())
        assert set(plats.values()) == {"twitter", "facebook"} and ev["source_a"].endswith(".csv:" + ev["source_a"].rsplit(":", 1)[1])
        # same-platform layers never pair the two platforms
        mixed = c.con.execute(
            "SELECT count(*) FROM edges e JOIN accounts a ON a.account_id = e.account_a JOIN accounts b ON b.account_id = e.account_b "
            "WHERE a.platform <> b.platform AND e.layer NOT LIKE 'xp_%'"
        ).fetchone()[0]
        assert mixed == 0
        summary = {(r["platform_a"], r["platform_b"]): r for r in platform_summary(c)}
        assert summary[("facebook", "twitter")]["groups"] >= 1 and summary[("facebook", "twitter")]["edges"] > 100
        # explain shows the cross-platform evidence of a Facebook page
        page = sorted(fb_members)[0]
        ex = explain_account(c.con, page)
        cross = [r for r in ex.evidence if r.cross_platform]
        assert cross and all(r.layer.startswith("xp_") and (r.platform, r.other_platform) == ("facebook", "twitter") for r in cross)


def test_platforms_command_and_report_show_the_spanning_group(world: tuple[Path, dict[str, list[str]]], tmp_path: Path) -> None:
    case, _ = world
    res = CliRunner().invoke(app, ["platforms", "-c", str(case), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "groups spanning platforms" in res.output and "facebook - twitter" in res.output
    groups_csv = (tmp_path / "o" / "cross_platform_groups.csv").read_text()
    assert '"{""twitter"": ' in groups_csv or "twitter" in groups_csv
    edges_csv = (tmp_path / "o" / "cross_platform_edges.csv").read_text().splitlines()
    assert edges_csv[0].startswith("layer,account_a,platform_a") and len(edges_csv) > 10
    from cibscope.report import render_report

    index = render_report(case, tmp_path / "report", exports=False)
    html = index.read_text(encoding="utf-8")
    assert "spans platforms" in html and "Cross-platform links" in html
    # the group network colours accounts by platform (a legend entry per platform)
    import json
    import re

    blocks = {m.group(1): m.group(2) for m in re.finditer(r'<script type="application/json" id="([^"]+)">(.*?)</script>', html, re.S)}
    fig = json.loads(blocks["fig-net-1"])
    names = [t.get("name") for t in fig["data"]]
    assert "twitter" in names and "facebook" in names
    nodes = next(t for t in fig["data"] if t.get("meta") == "nodes")
    assert len(set(nodes["marker"]["color"])) == 2


# ---- Telegram and Facebook exports through the generic mapping ---------------------------------

TELEGRAM_TOML = """name = "telegram-channels"
platform = "telegram"

[columns]
post_id = "msg_id"
account_id = "channel"
text = "message"
repost_of = "fwd_from"

[time]
column = "date"
format = "iso"

[entities]
urls = { column = "links", separator = " " }
hashtags = "from_text"
"""

FACEBOOK_TOML = """name = "facebook-pages"
platform = "facebook"

[columns]
post_id = "Post Id"
account_id = "Facebook Id"
text = "Message"
like_count = "Likes"

[time]
column = "Post Created"
format = "%Y-%m-%d %H:%M:%S"
timezone = "America/New_York"   # the dashboard's time zone: converted to UTC

[entities]
urls = { column = "Link", separator = " " }
hashtags = "from_text"

[account]
display_name = "Page Name"
screen_name = "User Name"
follower_count = "Followers at Posting"
"""


def test_telegram_and_facebook_exports_make_one_case_with_cross_platform_links(tmp_path: Path) -> None:
    tg = tmp_path / "telegram.csv"
    fb = tmp_path / "facebook.csv"
    tg_rows, fb_rows = ["msg_id,channel,date,message,fwd_from,links"], ['"Post Id","Facebook Id","Page Name","User Name","Followers at Posting","Post Created","Message","Link","Likes"']
    for k in range(6):
        hh = 10 + k
        for ch in ("chan_a", "chan_b"):
            tg_rows.append(f"{k}{ch[-1]},{ch},2022-03-0{1 + k % 3} {hh}:00:0{k},Read this #truth{k},,https://story.example/{k}")
        # the page posts the same link 20 minutes later (New York time = UTC-5 in March)
        fb_rows.append(f'"9{k}","1001","Truth Page","truthpage","120","2022-03-0{1 + k % 3} {hh - 5}:20:00","Read this #truth{k}","https://story.example/{k}","5"')
    for k in range(40):  # unrelated background so the null has something to compare with
        tg_rows.append(f"b{k},chan_{'cdefgh'[k % 6]},2022-03-0{1 + k % 3} {8 + k % 12}:{k % 60:02d}:00,misc {k},,https://other.example/{k % 13}")
        fb_rows.append(f'"8{k:02d}","{2000 + k % 7}","Page {k % 7}","page{k % 7}","50","2022-03-0{1 + k % 3} {3 + k % 12}:{k % 60:02d}:30","misc {k}","https://other.example/{k % 11}","1"')
    tg.write_text("\n".join(tg_rows) + "\n")
    fb.write_text("\n".join(fb_rows) + "\n")
    (tmp_path / "tg.toml").write_text(TELEGRAM_TOML)
    (tmp_path / "fb.toml").write_text(FACEBOOK_TOML)
    case = tmp_path / "c.duckdb"
    assert ingest([tg], case, mapping=tmp_path / "tg.toml").totals()["rows_kept"] == 52
    assert ingest([fb], case, mapping=tmp_path / "fb.toml").totals()["rows_kept"] == 46
    assert _q(case, "SELECT platform, count(*) FROM posts GROUP BY 1 ORDER BY 1") == [("facebook", 46), ("telegram", 52)]
    # New York time converted: the page's post of story 0 is 20 minutes after the channels'
    t = dict(_q(case, "SELECT p.platform, min(p.created_at) FROM posts p JOIN post_urls u USING (post_id) WHERE u.url = 'https://story.example/0' GROUP BY 1"))
    assert t["facebook"] - t["telegram"] == timedelta(minutes=20)
    with open_case(case) as c:
        st = build_networks(c.con, traces=["co_link", "xp_link"], params={"xp_link": {"alpha": 0.05}})
        assert st.layers["xp_link"].pairs_kept >= 1
        xp = c.con.execute("SELECT account_a, account_b, n_shared FROM edges WHERE layer = 'xp_link' ORDER BY n_shared DESC").fetchall()
        assert xp[0] in (("1001", "chan_a", 6), ("1001", "chan_b", 6))
        assert ("chan_a", "chan_b") in [tuple(r[:2]) for r in c.con.execute("SELECT account_a, account_b FROM edges WHERE layer = 'co_link'").fetchall()]


@pytest.mark.parametrize("platforms", ["cross", "same"])
def test_platform_builder_sql_transpiles_to_spark(platforms: str) -> None:
    from cibscope.networks.cooccurrence import cooccurrence_sql, platform_map_sql
    from cibscope.sql import transpile

    stmts = cooccurrence_sql(window=60.0, max_neighbors=50, max_tolerance=60.0, platforms=platforms)
    out = {s.split(" AS ", 1)[0].split()[-1]: transpile(s, to="spark") for s in [*platform_map_sql(), *stmts]}
    op = "<>" if platforms == "cross" else "="
    assert f"s.plat_i {op} o.plat_i" in out["_cib_raw"] and "plat_i" in out["_cib_big"] and "_cib_accplat" in out["_cib_acti"]


def test_clock_check_lag_in_words() -> None:
    from cibscope.cli.platforms import _lag_words

    # the bin [-240, -225) of time(b) - time(a): b comes 225 to 240 minutes *before* a ("-240 after" before)
    assert _lag_words(-240, -225) == "225 to 240 minutes before"
    assert _lag_words(60, 75) == "60 to 75 minutes after"
    assert _lag_words(-15, 0) == "0 to 15 minutes before"
