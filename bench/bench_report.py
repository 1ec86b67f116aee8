"""Benchmark: size and load time of the report of a 1M-post case (target: < 50 MB, < 3 s).

    .venv/bin/python bench/bench_report.py                 # synthetic 1M-post case (SQL-built)
    .venv/bin/python bench/bench_report.py --case C.duckdb # any detected case (e.g. generated + detect)
    .venv/bin/python bench/bench_report.py --posts 100000  # smaller synthetic case

The synthetic case is built directly in SQL with the shapes detection produces (groups of
batch-created accounts posting in office hours, 3 layers of edges inside groups plus organic
noise edges, ~10 evidence rows per edge, named score contributions), so the report can be
measured before/independently of the generator and detection. It prints: render time, the size
of the report (pages + assets, exports reported separately), and the load time of index.html and
of the largest account page in headless Chromium (navigation start -> load event end, and ->
all visible plots drawn), with plotly.min.js's own parse time as the baseline.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from cibscope import open_case  # noqa: E402
from cibscope.report import render_report  # noqa: E402


def build_synthetic(path: Path, n_posts: int, n_accounts: int, n_groups: int, group_size: int, seed: float = 0.42) -> None:
    """A detected case of ``n_posts`` posts, built in SQL (see module docstring)."""
    n_io = n_groups * group_size
    with open_case(path) as case:
        con = case.con
        con.execute(f"SELECT setseed({seed})")
        con.execute(
            f"""INSERT INTO accounts
            SELECT 'u' || i::VARCHAR, 'twitter', 'user_' || i::VARCHAR || (CASE WHEN i % 97 = 0 THEN '<b>x</b>' ELSE '' END),
                   'Name ' || i::VARCHAR, 'description of account ' || i::VARCHAR || ' #tag' || (i % 50)::VARCHAR,
                   'City ' || (i % 40)::VARCHAR, NULL, (random() * 5000)::BIGINT, (random() * 800)::BIGINT,
                   CASE WHEN i < {n_io} THEN TIMESTAMP '2019-03-01' + INTERVAL (i // {group_size}) DAY + INTERVAL (i % 60) MINUTE
                        ELSE TIMESTAMP '2009-01-01' + INTERVAL ((random() * 3700)::INT) DAY END,
                   'en', FALSE, 'users.csv', i + 2
            FROM range({n_accounts}) t(i)"""
        )
        # IO accounts: office hours (UTC 01-10, weekdays); organic: any time.
        con.execute(
            f"""INSERT INTO posts
            SELECT 'p' || i::VARCHAR, 'u' || a::VARCHAR, 'twitter',
                   CASE WHEN a < {n_io}
                        THEN TIMESTAMP '2019-04-01' + INTERVAL ((random() * 250)::INT * 7 // 5) DAY + INTERVAL (1 + (random() * 9)::INT) HOUR + INTERVAL ((random() * 3600)::INT) SECOND
                        ELSE TIMESTAMP '2019-04-01' + INTERVAL ((random() * 365 * 86400)::BIGINT) SECOND END,
                   'second', CASE WHEN i % 3 = 0 THEN 'repost' ELSE 'post' END,
                   'post number ' || i::VARCHAR || ' about topic ' || (i % 300)::VARCHAR || ' https://site' || (i % 90)::VARCHAR || '.example/a' || (i % 2000)::VARCHAR,
                   NULL, 'en', 'Twitter Web App', NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL, NULL, 'tweets.csv', i + 2
            FROM (SELECT i, CASE WHEN random() < 0.25 THEN (random() * {n_io})::BIGINT ELSE (random() * {n_accounts})::BIGINT END AS a
                  FROM range({n_posts}) t(i)) WHERE a < {n_accounts}"""
        )
        con.execute(
            f"""CREATE TEMP TABLE gm AS SELECT i // {group_size} + 1 AS group_id, 'u' || i::VARCHAR AS account_id, i
                FROM range({n_io}) t(i)"""
        )
        layers = ["co_retweet", "co_link", "co_hashtag", "near_duplicate"]
        for li, layer in enumerate(layers):
            con.execute(
                f"""INSERT INTO edges
                SELECT '{layer}', a.account_id, b.account_id, 3 + (random() * 20)::INT, 5 + random() * 20, 0.5, 1e-6 * random(),
                       TIMESTAMP '2019-04-01', TIMESTAMP '2019-12-01'
                FROM gm a JOIN gm b ON a.group_id = b.group_id AND a.account_id < b.account_id
                WHERE (a.group_id + {li}) % 4 <> 0 AND random() < 0.6"""
            )
        con.execute(  # organic noise edges
            f"""INSERT INTO edges
            SELECT DISTINCT 'co_hashtag', least(x, y), greatest(x, y), 1, 1.0, 0.8, 0.2, TIMESTAMP '2019-05-01', TIMESTAMP '2019-05-01'
            FROM (SELECT 'u' || ({n_io} + (random() * ({n_accounts} - {n_io}))::INT)::VARCHAR AS x,
                         'u' || ({n_io} + (random() * ({n_accounts} - {n_io}))::INT)::VARCHAR AS y FROM range(3000)) WHERE x <> y"""
        )
        con.execute(
            """INSERT INTO evidence
            SELECT row_number() OVER (), e.layer, e.account_a, e.account_b,
                   'p' || (random() * 1000000)::INT::VARCHAR, 'p' || (random() * 1000000)::INT::VARCHAR,
                   t, t + INTERVAL (s) SECOND, s,
                   CASE e.layer WHEN 'co_link' THEN 'https://site' || (k % 90)::VARCHAR || '.example/a' || k::VARCHAR
                                WHEN 'co_hashtag' THEN 'tag' || (k % 40)::VARCHAR ELSE 'item' || k::VARCHAR END,
                   'tweets.csv:' || (k * 7)::VARCHAR, 'tweets.csv:' || (k * 7 + 3)::VARCHAR
            FROM (SELECT e.*, j, (random() * 2000)::INT AS k, (random() * 55)::INT AS s,
                         TIMESTAMP '2019-04-01' + INTERVAL ((random() * 240 * 86400)::BIGINT) SECOND AS t
                  FROM edges e, range(10) r(j) WHERE j < least(e.n_shared, 10)) e"""
        )
        con.execute(
            """INSERT INTO groups SELECT group_id, count(*), '["co_retweet", "co_link", "co_hashtag"]',
                   TIMESTAMP '2019-04-01', TIMESTAMP '2019-12-01', 0.7, '[]' FROM gm GROUP BY group_id"""
        )
        con.execute("INSERT INTO group_members SELECT group_id, account_id FROM gm")
        con.execute(
            f"""INSERT INTO scores SELECT 'u' || i::VARCHAR,
                   CASE WHEN i < {n_io} THEN 0.6 + 0.4 * random() ELSE 0.3 * random() END,
                   i < {n_io}, CASE WHEN i < {n_io} THEN i // {group_size} + 1 END,
                   CASE WHEN i < {n_io} THEN 'co_retweet, co_link, creation_batch' END
                FROM range({n_accounts}) t(i)"""
        )
        for name in ("co_retweet", "co_link", "co_hashtag", "creation_batch", "office_hours"):
            con.execute(
                f"""INSERT INTO score_contributions SELECT account_id, '{name}', round(random() * 1.5, 3),
                        (random() * 40)::INT, '{name}: details' FROM scores WHERE flagged OR random() < 0.1"""
            )
        con.execute("INSERT INTO detect_runs VALUES (now()::TIMESTAMP, '{}', '{}')")


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


MEASURE_JS = """
var n = performance.getEntriesByType('navigation')[0];
var fcp = performance.getEntriesByName('first-contentful-paint')[0];
return {dcl: n.domContentLoadedEventEnd - n.startTime, load: n.loadEventEnd - n.startTime,
        fcp: fcp ? fcp.startTime : -1};
"""
PLOTS_DRAWN_JS = """
var v = Array.prototype.slice.call(document.querySelectorAll('[data-fig]')).filter(function (e) {
  var r = e.getBoundingClientRect(); return r.width > 0 && r.top < innerHeight && r.bottom > 0; });
return v.every(function (e) { return e.querySelector('.main-svg'); }) ? performance.now() : null;
"""


def browser_times(urls: list[str], repeats: int = 5) -> list[dict[str, float]]:
    """Median over ``repeats`` loads (after one warm-up load of each page) of: DOMContentLoaded,
    first contentful paint, load event end, and the moment every plot in the first screen is drawn,
    all in ms from navigation start, in headless Chromium."""
    import statistics

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp()
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1360,900", f"--user-data-dir={profile}"):
        o.add_argument(a)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    out = []
    try:
        for url in urls:
            d.get(url)  # warm-up: first navigation of a fresh browser pays process start-up
            runs = []
            for _ in range(repeats):
                d.get("about:blank")
                d.get(url)
                deadline = time.time() + 30
                drawn = None
                while time.time() < deadline:
                    drawn = d.execute_script(PLOTS_DRAWN_JS)
                    if drawn is not None:
                        break
                    time.sleep(0.02)
                m = d.execute_script(MEASURE_JS)
                runs.append({"dcl": m["dcl"], "fcp": m["fcp"], "load": m["load"], "plots": float(drawn or -1)})
            out.append({"url": url, **{k: statistics.median(r[k] for r in runs) for k in runs[0]},
                        "load_max": max(r["load"] for r in runs)})
    finally:
        d.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", type=Path, help="an existing detected case (default: build a synthetic one)")
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--accounts", type=int, default=5_000)
    ap.add_argument("--groups", type=int, default=20)
    ap.add_argument("--group-size", type=int, default=20)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "report")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cibscope-bench-report-"))
    case_path = args.case
    if case_path is None:
        case_path = work / "case.duckdb"
        t0 = time.perf_counter()
        build_synthetic(case_path, args.posts, args.accounts, args.groups, args.group_size)
        print(f"synthetic case: {args.posts:,} posts requested, built in {time.perf_counter() - t0:.1f} s")
    with open_case(case_path, create=False, read_only=True) as case:
        counts = {t: case.count(t) for t in ("accounts", "posts", "edges", "evidence", "groups", "scores")}
        n_flagged = case.con.execute("SELECT count(*) FROM scores WHERE flagged").fetchone()[0]
    print("case:", json.dumps({**counts, "flagged": n_flagged}))
    if args.out.exists():
        shutil.rmtree(args.out)
    t0 = time.perf_counter()
    index = render_report(case_path, args.out)
    t_render = time.perf_counter() - t0
    size_exports = du(args.out / "exports")
    size_total = du(args.out)
    pages = sorted((args.out / "accounts").glob("*.html"), key=lambda p: p.stat().st_size)
    print(f"render: {t_render:.1f} s")
    print(f"report size (pages + assets): {(size_total - size_exports) / 1e6:.1f} MB  (target < 50 MB)")
    print(f"  index.html {index.stat().st_size / 1e6:.2f} MB; {len(pages)} account pages, largest "
          f"{(pages[-1].stat().st_size / 1e3 if pages else 0):.0f} KB; assets {du(args.out / 'assets') / 1e6:.1f} MB")
    print(f"exports: {size_exports / 1e6:.1f} MB (separate, downloadable files)")
    baseline = args.out / "baseline-plotly-only.html"
    baseline.write_text('<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head>'
                        '<body><p>plotly only</p><script src="assets/plotly.min.js"></script></body></html>')
    urls = [baseline.as_uri(), index.as_uri()] + ([pages[-1].as_uri()] if pages else [])
    names = ["baseline: empty page + plotly.min.js", "index.html", "largest account page"]
    base_load = None
    for name, r in zip(names, browser_times(urls)):
        base_load = r["load"] if base_load is None else base_load
        print(f"load {name}: DOMContentLoaded {r['dcl']:.0f} ms, first paint {r['fcp']:.0f} ms, load event {r['load']:.0f} ms "
              f"(max {r['load_max']:.0f}), first-screen plots drawn {r['plots']:.0f} ms; load / baseline = {r['load'] / base_load:.2f}"
              + ("" if name.startswith("baseline") else "  (target < 3000 ms)"))
    baseline.unlink()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
